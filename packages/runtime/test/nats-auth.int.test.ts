/**
 * infra/nats-auth.conf on a real nats-server: every service's user can do its job (publish what it
 * produces, read and watch the KV buckets, write its own bucket), and nobody but the optimizer can
 * publish or store an Assignment.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BusConnectError, connectBus, followAssignments, startNatsServer, type AssignmentUpdate, type Bus, type NatsServerHandle } from "../src/index.js";

const CONF = fileURLToPath(new URL("../../../infra/nats-auth.conf", import.meta.url));
const USERS = ["optimizer", "stage", "gateway", "monitor", "predictor", "launcher"] as const;
type User = (typeof USERS)[number];
const passwords = Object.fromEntries(USERS.map((u) => [u, `k${randomBytes(12).toString("hex")}`])) as Record<User, string>;
const p = "authp";

const assignment = (version: number): control.Assignment => ({
  pipeline: p, version, policy: "test", createdUnixMs: Date.now(), reason: "optimal",
  stages: [{ stage: "classifier", variants: [{ variant: "mlp", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1 }] }],
});

describe("NATS authorization (infra/nats-auth.conf): one user per service", () => {
  let nats: NatsServerHandle;
  const buses = new Map<User, Bus>();
  const as = (u: User): Bus => buses.get(u)!;
  beforeAll(async () => {
    nats = await startNatsServer({ configFile: CONF, env: Object.fromEntries(USERS.map((u) => [`FULCRUM_NATS_${u.toUpperCase()}_PASSWORD`, passwords[u]])) });
    for (const u of USERS) buses.set(u, await connectBus({ servers: nats.url, name: `auth-${u}`, auth: { user: u, password: passwords[u] }, drainTimeoutMs: 2000 }));
  }, 60_000);
  afterAll(async () => {
    for (const b of buses.values()) await b.drain();
    await nats?.stop();
  });

  it("refuses a client without credentials, or with a wrong password", async () => {
    await expect(connectBus({ servers: nats.url, name: "anonymous", connectTimeoutMs: 3000 })).rejects.toBeInstanceOf(BusConnectError);
    await expect(connectBus({ servers: nats.url, name: "wrong", auth: { user: "optimizer", password: "guess" }, connectTimeoutMs: 3000 })).rejects.toBeInstanceOf(BusConnectError);
  });

  it("lets each service do its job: the optimizer stores and broadcasts an Assignment, stages and the gateway follow it, metrics, load, forecasts, acks, registry and placements flow", { timeout: 60_000 }, async () => {
    const got = { stage: [] as AssignmentUpdate[], gateway: [] as AssignmentUpdate[], monitor: 0, predictor: 0, optimizer: 0, launcher: 0, placements: 0, registry: 0 };
    const stageFollower = await followAssignments({ bus: as("stage"), pipeline: p, onUpdate: (u) => void got.stage.push(u) });
    const gatewayFollower = await followAssignments({ bus: as("gateway"), pipeline: p, onUpdate: (u) => void got.gateway.push(u) });
    const subs = [
      as("monitor").subscribe(subjects.gatewayMetricsAll(), control.GatewayMetrics, () => void got.monitor++),
      as("monitor").subscribe(subjects.stageMetricsAll(), control.StageMetrics, () => void got.monitor++),
      as("predictor").subscribe(subjects.load(p), control.LoadSample, () => void got.predictor++),
      as("optimizer").subscribe(subjects.forecast(p), control.Forecast, () => void got.optimizer++),
      as("optimizer").subscribe(subjects.ackAll(p), control.AssignmentAck, () => void got.optimizer++),
      as("launcher").subscribe(subjects.ackAll(p), control.AssignmentAck, () => void got.launcher++),
      await (await as("stage").kv(KV_BUCKETS.placements)).watch(kvKeys.placement(p, "classifier", "i0"), control.ReplicaPlacement, () => void got.placements++),
      await (await as("gateway").kv(KV_BUCKETS.registry)).watch(kvKeys.registryOfPipeline(p), control.RegistryEntry, () => void got.registry++),
      await (await as("optimizer").kv(KV_BUCKETS.registry)).watch(kvKeys.registryOfPipeline(p), control.RegistryEntry, () => void got.registry++),
    ];
    for (const b of buses.values()) await b.flush();
    try {
      const kv = await as("optimizer").kv(KV_BUCKETS.assignments);
      const rev = await kv.update(kvKeys.assignment(p), control.Assignment, assignment(1), undefined);
      as("optimizer").publish(subjects.assignment(p), control.Assignment, assignment(1));
      await kv.update(kvKeys.assignment(p), control.Assignment, assignment(2), rev);
      as("optimizer").publish(subjects.assignment(p), control.Assignment, assignment(2));
      as("gateway").publish(subjects.gatewayMetrics(p), control.GatewayMetrics, control.GatewayMetrics.fromPartial({ pipeline: p, windowMs: 1000 }));
      as("stage").publish(subjects.stageMetrics(p, "classifier", "i0"), control.StageMetrics, control.StageMetrics.fromPartial({ pipeline: p, stage: "classifier", instance: "i0", windowMs: 1000 }));
      as("stage").publish(subjects.ack(p, "classifier", "i0"), control.AssignmentAck, control.AssignmentAck.fromPartial({ pipeline: p, stage: "classifier", instance: "i0", version: 2, applied: true }));
      await (await as("stage").kv(KV_BUCKETS.registry)).put(kvKeys.registry(p, "classifier", "i0"), control.RegistryEntry, control.RegistryEntry.fromPartial({ pipeline: p, stage: "classifier", instance: "i0", state: "ready" }));
      as("monitor").publish(subjects.load(p), control.LoadSample, control.LoadSample.fromPartial({ pipeline: p, windowMs: 1000 }));
      as("predictor").publish(subjects.forecast(p), control.Forecast, control.Forecast.fromPartial({ pipeline: p }));
      await (await as("launcher").kv(KV_BUCKETS.placements)).put(kvKeys.placement(p, "classifier", "i0"), control.ReplicaPlacement, control.ReplicaPlacement.fromPartial({ pipeline: p, stage: "classifier", instance: "i0", generation: 1 }));
      await expect.poll(() => ({ ...got, stage: got.stage.map((u) => u.version).at(-1), gateway: got.gateway.map((u) => u.version).at(-1) }), { timeout: 10_000 }).toEqual({
        stage: 2, gateway: 2, monitor: 2, predictor: 1, optimizer: 2, launcher: 1, placements: 1, registry: 2,
      });
      for (const u of USERS) expect(Object.fromEntries(as(u).permissionDenials), u).toEqual({});
    } finally {
      for (const s of subs) await s.stop();
      await stageFollower.stop();
      await gatewayFollower.stop();
    }
  });

  it("an unauthorised client cannot publish or store an Assignment: permission error, and the stage does not apply it", { timeout: 60_000 }, async () => {
    const got: AssignmentUpdate[] = [];
    const follower = await followAssignments({ bus: as("stage"), pipeline: p, onUpdate: (u) => void got.push(u) });
    const before = follower.version;
    try {
      as("gateway").publish(subjects.assignment(p), control.Assignment, assignment(1e12));
      as("monitor").publish(subjects.assignment(p), control.Assignment, assignment(1e12));
      await expect.poll(() => as("gateway").permissionDenials.get(`publish ${subjects.assignment(p)}`), { timeout: 5000 }).toBe(1);
      expect(as("monitor").permissionDenials.get(`publish ${subjects.assignment(p)}`)).toBe(1);
      // Storing one is a publish on $KV.fulcrum_assignments.<p>: denied as well, so the write never completes.
      const stageKv = await as("stage").kv(KV_BUCKETS.assignments);
      await expect(Promise.race([stageKv.put(kvKeys.assignment(p), control.Assignment, assignment(1e12)), new Promise((_, reject) => setTimeout(() => reject(new Error("no answer")), 3000))])).rejects.toThrow();
      await expect.poll(() => as("stage").permissionDenials.get(`publish $KV.${KV_BUCKETS.assignments}.${p}`), { timeout: 5000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      // Only the stored v2 (delivered at start) reached the stage.
      expect(got.map((u) => u.version)).toEqual([2]);
      expect(follower.version).toBe(before);
      expect(follower.strayBroadcasts).toBe(0);
      expect((await stageKv.get(kvKeys.assignment(p), control.Assignment))?.version).toBe(before);
    } finally {
      await follower.stop();
    }
  });
});
