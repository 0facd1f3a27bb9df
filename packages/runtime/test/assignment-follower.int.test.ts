import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, followAssignments, testNatsUrl, type AssignmentUpdate, type Bus } from "../src/index.js";

const run = `${process.pid}-${Date.now().toString(36)}`;
let seq = 0;

const assignment = (pipeline: string, version: number, over: Partial<control.VariantAllocation> = {}): control.Assignment => ({
  pipeline,
  version,
  policy: "test",
  createdUnixMs: Date.now(),
  reason: "optimal",
  stages: [{ stage: "classifier", variants: [{ variant: "mlp", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1, ...over }] }],
});

describe("followAssignments: the KV entry is the version authority", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "follower-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("ignores a stray broadcast with version 10¹² (not in KV), and still delivers the real versions written to KV after it", async () => {
    const pipeline = `fol${++seq}-${run}`;
    const kv = await bus.kv(KV_BUCKETS.assignments);
    await kv.put(kvKeys.assignment(pipeline), control.Assignment, assignment(pipeline, 1));
    const got: AssignmentUpdate[] = [];
    const follower = await followAssignments({ bus, pipeline, onUpdate: (u) => void got.push(u) });
    try {
      // A late starter applies the stored entry before it returns.
      expect(got.map((u) => u.version)).toEqual([1]);
      bus.publish(subjects.assignment(pipeline), control.Assignment, assignment(pipeline, 1e12));
      await bus.flush();
      await expect.poll(() => follower.strayBroadcasts, { timeout: 5000 }).toBe(1);
      expect(follower.version).toBe(1);
      for (const v of [2, 3]) {
        await kv.put(kvKeys.assignment(pipeline), control.Assignment, assignment(pipeline, v));
        bus.publish(subjects.assignment(pipeline), control.Assignment, assignment(pipeline, v));
      }
      await expect.poll(() => got.map((u) => u.version), { timeout: 5000 }).toEqual([1, 2, 3]);
      expect(got.every((u) => "assignment" in u)).toBe(true);
      expect(follower.strayBroadcasts).toBe(1);
    } finally {
      await follower.stop();
    }
  });

  it("hands over an entry beyond the receiver's limits as refused, naming the field, and the next valid one as usual", async () => {
    const pipeline = `fol${++seq}-${run}`;
    const kv = await bus.kv(KV_BUCKETS.assignments);
    const got: AssignmentUpdate[] = [];
    const limits = { maxCoresPerReplica: 2, maxBatch: 64, maxReplicas: 8, maxTotalCores: 8 };
    const follower = await followAssignments({ bus, pipeline, limits, onUpdate: (u) => void got.push(u) });
    try {
      expect(got).toEqual([]);
      const rows: Array<[Partial<control.VariantAllocation>, string]> = [
        [{ replicas: 1e9 }, "stages[0].variants[0].replicas"],
        [{ coresPerReplica: 64 }, "stages[0].variants[0].cores_per_replica"],
        [{ batch: 4096 }, "stages[0].variants[0].batch"],
        [{ replicas: 5, coresPerReplica: 2 }, "stages"],
      ];
      let v = 0;
      for (const [over, field] of rows) {
        v += 1;
        await kv.put(kvKeys.assignment(pipeline), control.Assignment, assignment(pipeline, v, over));
        await expect.poll(() => got.length, { timeout: 5000 }).toBe(v);
        const u = got[v - 1]!;
        expect("refused" in u && u.refused.field, JSON.stringify(over)).toBe(field);
      }
      await kv.put(kvKeys.assignment(pipeline), control.Assignment, assignment(pipeline, v + 1));
      await expect.poll(() => got.length, { timeout: 5000 }).toBe(v + 1);
      expect(got.at(-1)).toMatchObject({ version: v + 1, assignment: { version: v + 1 } });
    } finally {
      await follower.stop();
    }
  });
});
