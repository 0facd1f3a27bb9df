import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, testNatsUrl, type Bus, type Codec } from "@fulcrum/runtime";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageConfigSchema, startStage, type StageConfig } from "../src/index.js";

const logger = createLogger({ service: "stage-guard-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());
const run = `${process.pid}-${Date.now().toString(36)}`;
let seq = 0;

/** Publishes raw bytes: what a buggy or hostile client may put on any subject. */
const RAW: Codec<Uint8Array> = { encode: (b) => ({ finish: () => b }), decode: (b) => b };
const GARBAGE = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08, 0x96, 0x01, 0xde, 0xad]);

function config(over: Record<string, unknown>): StageConfig {
  return Object.freeze(
    stageConfigSchema.parse({
      pipeline: `guard${++seq}-${run}`, stage: "classifier", instance: `g${seq}`, family: "fashion", variant: "linear", modelDir, heartbeatMs: 200, maxCoresPerReplica: 2, maxBatch: 64, maxReplicas: 8, maxTotalCores: 8, ...over,
    }),
  );
}

const assignment = (pipeline: string, version: number, over: Partial<control.VariantAllocation> = {}): control.Assignment => ({
  pipeline,
  version,
  policy: "test",
  createdUnixMs: Date.now(),
  reason: "",
  stages: [{ stage: "classifier", variants: [{ variant: "mlp", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1, ...over }] }],
});

describe("a stage refuses malformed and out-of-bounds configurations with an acked reason and keeps serving", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "stage-guard-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("Assignments in KV: 10⁹ replicas, 64 cores, batch 4096 and too many cores in all are refused naming the field; a stray v10¹² broadcast and garbage are ignored; the next real one applies", async () => {
    const cfg = config({});
    const kv = await bus.kv(KV_BUCKETS.assignments);
    const acks: control.AssignmentAck[] = [];
    const sub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.push(a));
    await bus.flush();
    const stage = await startStage(cfg, { logger, bus });
    const client = new OipClient(stage.grpcAddress);
    try {
      const rows: Array<[Partial<control.VariantAllocation>, string]> = [
        [{ replicas: 1e9 }, "stages[0].variants[0].replicas: 1000000000 is above the limit of 8 (maxReplicas)"],
        [{ coresPerReplica: 64 }, "stages[0].variants[0].cores_per_replica: 64 is above the limit of 2 (maxCoresPerReplica)"],
        [{ batch: 4096 }, "stages[0].variants[0].batch: 4096 is above the limit of 64 (maxBatch)"],
        [{ replicas: 5, coresPerReplica: 2 }, "stages: 10 cores in all, above the limit of 8 (maxTotalCores)"],
      ];
      let v = 0;
      for (const [over, error] of rows) {
        v += 1;
        await kv.put(kvKeys.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, v, over));
        await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(v);
        expect(acks[v - 1]).toMatchObject({ version: v, applied: false });
        expect(acks[v - 1]!.error).toContain(error);
      }
      expect(stage.server.active).toMatchObject({ variant: "linear" });

      bus.publish(subjects.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, 1e12));
      bus.publish(subjects.assignment(cfg.pipeline), RAW, GARBAGE);
      bus.publish(subjects.assignment(cfg.pipeline), RAW, new Uint8Array(0));
      await bus.flush();
      expect(stage.state).toBe("ready");

      await kv.put(kvKeys.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, v + 1));
      bus.publish(subjects.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, v + 1));
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(v + 1);
      expect(acks[v]).toMatchObject({ version: v + 1, applied: true });
      expect(acks.some((a) => a.version === 1e12)).toBe(false);
      expect(stage.server.active).toMatchObject({ variant: "mlp", batchSize: 4, cores: 1 });
      const out = await client.infer(fp32Request(cfg.stage, "input", [1, 28, 28], { rows: 2 }));
      expect(out.ok).toBe(true);
    } finally {
      client.close();
      await sub.stop();
      await stage.shutdown();
    }
  });

  it("placements: one beyond the replica's limits is refused with an ack naming the field, garbage is ignored, the next valid one applies", async () => {
    const cfg = config({ followPlacement: true });
    const placements = await bus.kv(KV_BUCKETS.placements);
    const key = kvKeys.placement(cfg.pipeline, cfg.stage, cfg.instance);
    const place = (generation: number, variant: string, cores: number, batch: number) =>
      placements.put(key, control.ReplicaPlacement, { pipeline: cfg.pipeline, stage: cfg.stage, instance: cfg.instance, variant, cores, batch, assignmentVersion: generation, generation });
    const acks: control.AssignmentAck[] = [];
    const sub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.push(a));
    await bus.flush();
    const stage = await startStage(cfg, { logger, bus });
    try {
      await place(1, "mlp", 64, 4);
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(1);
      expect(acks[0]).toMatchObject({ version: 1, applied: false });
      expect(acks[0]!.error).toContain("cores: 64 is above the limit of 2 (maxCoresPerReplica)");
      await place(2, "mlp", 1, 4096);
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(2);
      expect(acks[1]!.error).toContain("batch: 4096 is above the limit of 64 (maxBatch)");
      await (placements as unknown as { put(k: string, c: Codec<Uint8Array>, m: Uint8Array): Promise<number> }).put(key, RAW, GARBAGE);
      await place(3, "mlp", 1, 4);
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(3);
      expect(acks[2]).toMatchObject({ version: 3, applied: true });
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 1, batchSize: 4 });
      expect(stage.state).toBe("ready");
    } finally {
      await sub.stop();
      await stage.shutdown();
      await placements.delete(key);
    }
  });
});
