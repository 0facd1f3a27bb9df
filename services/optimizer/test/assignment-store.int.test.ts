import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, freePort, startNatsServer, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAssignmentStore, type AssignmentDraft } from "../src/transport/assignment-store.js";

const logger = createLogger({ service: "assignment-store-test", level: "silent" });
const run = `${process.pid}-${Date.now().toString(36)}`;

const draft = (pipeline: string, variant = "mlp"): AssignmentDraft => ({
  pipeline,
  policy: "test",
  createdAtMs: Date.now(),
  stages: [{ stage: "classifier", variants: [{ variant, weight: 1, batch: 4, coresPerReplica: 1, replicas: 1 }] }],
});

describe("the optimizer's assignment store (KV compare-and-set, retried while NATS is down)", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "assignment-store-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("after someone else wrote the entry (a stray v10¹²), re-reads it and numbers above it; receivers see the optimizer's version", async () => {
    const pipeline = `store-${run}`;
    const conflicts: Array<number | undefined> = [];
    const store = await openAssignmentStore({ bus, pipeline, logger, retryMs: 100, onWritten: () => {}, onConflict: (stored) => void conflicts.push(stored?.version), onWriteFailed: () => {} });
    try {
      const first = await store.publish(draft(pipeline), "optimal");
      expect(first).toMatchObject({ status: "written", assignment: { version: 1 } });
      const kv = await bus.kv(KV_BUCKETS.assignments);
      const stray: control.Assignment = { pipeline, version: 1e12, policy: "forged", createdUnixMs: Date.now(), reason: "forged", stages: [] };
      await kv.put(kvKeys.assignment(pipeline), control.Assignment, stray);
      const seen: number[] = [];
      const sub = bus.subscribe(subjects.assignment(pipeline), control.Assignment, (a) => void seen.push(a.version));
      await bus.flush();
      const second = await store.publish(draft(pipeline, "linear"), "optimal");
      expect(second).toMatchObject({ status: "written", assignment: { version: 1e12 + 1 } });
      expect(conflicts).toEqual([1e12]);
      expect((await kv.get(kvKeys.assignment(pipeline), control.Assignment))?.version).toBe(1e12 + 1);
      await expect.poll(() => seen, { timeout: 5000 }).toEqual([1e12 + 1]);
      await sub.stop();
    } finally {
      await store.close();
    }
  });

  it("verify(): the entry it wrote is unchanged; a foreign write or a delete is a change (told as a conflict), numbered above", async () => {
    const pipeline = `verify-${run}`;
    const conflicts: Array<number | undefined> = [];
    const store = await openAssignmentStore({ bus, pipeline, logger, retryMs: 100, onWritten: () => {}, onConflict: (stored) => void conflicts.push(stored?.version), onWriteFailed: () => {} });
    try {
      expect(await store.publish(draft(pipeline), "optimal")).toMatchObject({ status: "written", assignment: { version: 1 } });
      expect(await store.verify()).toBe("unchanged");
      expect(conflicts).toEqual([]);
      const kv = await bus.kv(KV_BUCKETS.assignments);
      await kv.put(kvKeys.assignment(pipeline), control.Assignment, { pipeline, version: 7, policy: "forged", createdUnixMs: Date.now(), reason: "forged", stages: [] });
      expect(await store.verify()).toBe("changed");
      expect(conflicts).toEqual([7]);
      expect(store.version).toBe(7);
      // Seen once: the store now knows that entry (the caller remembers it was not its own).
      expect(await store.verify()).toBe("unchanged");
      expect(await store.publish(draft(pipeline), "optimal")).toMatchObject({ status: "written", assignment: { version: 8 } });
      await kv.delete(kvKeys.assignment(pipeline));
      expect(await store.verify()).toBe("changed");
      expect(conflicts).toEqual([7, undefined]);
      // Written again over the delete, above every version known.
      expect(await store.publish(draft(pipeline), "optimal")).toMatchObject({ status: "written", assignment: { version: 9 } });
      expect((await kv.get(kvKeys.assignment(pipeline), control.Assignment))?.version).toBe(9);
    } finally {
      await store.close();
    }
  });

  it("keeps a decision made while NATS is down pending and writes it (CAS) once NATS is back: no assignment is lost", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-store-nats-"));
    const port = await freePort();
    let nats = await startNatsServer({ port, storeDir: dir });
    const own = await connectBus({ servers: nats.url, name: "optimizer-outage", reconnectTimeWaitMs: 100 });
    const pipeline = `outage-${run}`;
    const written: number[] = [];
    let failures = 0;
    const store = await openAssignmentStore({ bus: own, pipeline, logger, retryMs: 100, onWritten: (a) => void written.push(a.version), onConflict: () => {}, onWriteFailed: () => void (failures += 1) });
    try {
      expect(await store.publish(draft(pipeline), "optimal")).toMatchObject({ status: "written", assignment: { version: 1 } });
      await nats.stop();
      const pending = await store.publish(draft(pipeline, "linear"), "optimal");
      expect(pending).toMatchObject({ status: "pending", assignment: { version: 2 } });
      expect(store.pending?.stages[0]?.variants[0]?.variant).toBe("linear");
      // A newer decision during the outage replaces the pending one: receivers get the latest.
      expect(await store.publish(draft(pipeline, "cnn-small"), "optimal")).toMatchObject({ status: "pending" });
      await new Promise((r) => setTimeout(r, 500));
      nats = await startNatsServer({ port, storeDir: dir });
      await expect.poll(() => written, { timeout: 30_000, interval: 100 }).toEqual([2]);
      expect(failures).toBeGreaterThan(0);
      expect(store.pending).toBeUndefined();
      expect(store.version).toBe(2);
      const check = await connectBus({ servers: nats.url, name: "outage-check" });
      const stored = await (await check.kv(KV_BUCKETS.assignments)).get(kvKeys.assignment(pipeline), control.Assignment);
      await check.drain();
      expect(stored).toMatchObject({ version: 2, stages: [{ variants: [{ variant: "cnn-small" }] }] });
    } finally {
      await store.close();
      await own.drain();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
