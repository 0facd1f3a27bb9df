import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, testNatsUrl, toPbPlacement, type Bus } from "@fulcrum/runtime";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageConfigSchema, startStage, type StageConfig } from "../src/index.js";

const logger = createLogger({ service: "stage-pinned-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());
let seq = 0;

function config(over: Record<string, unknown>): StageConfig {
  return Object.freeze(
    stageConfigSchema.parse({ pipeline: `pin${++seq}`, stage: "classifier", instance: `pod${seq}`, family: "fashion", variant: "mlp", pinVariant: true, modelDir, heartbeatMs: 200, ...over }),
  );
}

const assignment = (pipeline: string, version: number, variants: control.VariantAllocation[]): control.Assignment => ({
  pipeline,
  version,
  policy: "test",
  createdUnixMs: Date.now(),
  reason: "",
  stages: [{ stage: "classifier", variants }],
});

/** `fulcrum_stage_<name>` from the replica's /metrics. */
async function gauge(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(" ").at(-1));
}

describe("stage pinned-variant mode (one deployment per variant), over real NATS and onnxruntime", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "stage-pinned-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("keeps its variant and takes its own entry's cores and batch from the Assignment (not replica 0's target); no entry: keeps what it has", async () => {
    const cfg = config({ replicaIndex: 0 });
    const stage = await startStage(cfg, { logger, bus });
    const acks: control.AssignmentAck[] = [];
    const sub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.push(a));
    await bus.flush();
    try {
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 1, batchSize: 8 });
      expect(await gauge(stage.metricsPort, "fulcrum_stage_assignment_version")).toBe(0);
      // Replica index 0 would run `linear` (the first variant's range); pinned, it takes mlp's entry.
      bus.publish(subjects.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, 1, [
        { variant: "linear", weight: 0.5, batch: 1, coresPerReplica: 1, replicas: 1 },
        { variant: "mlp", weight: 0.5, batch: 4, coresPerReplica: 2, replicas: 3 },
      ]));
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(1);
      expect(acks[0]).toMatchObject({ version: 1, applied: true });
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 2, batchSize: 4 });

      // Its variant is not in this one: it keeps serving as it is and acks the version.
      bus.publish(subjects.assignment(cfg.pipeline), control.Assignment, assignment(cfg.pipeline, 2, [{ variant: "linear", weight: 1, batch: 2, coresPerReplica: 1, replicas: 2 }]));
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(2);
      expect(acks[1]).toMatchObject({ version: 2, applied: true });
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 2, batchSize: 4 });
      expect(stage.reconfigurer.version).toBe(2);
      expect(await gauge(stage.metricsPort, "fulcrum_stage_assignment_version")).toBe(2);
    } finally {
      await sub.stop();
      await stage.shutdown();
    }
  });

  it("with followPlacement: applies a placement of its variant (cores, batch) and refuses one naming another variant", async () => {
    const cfg = config({ followPlacement: true, instance: `classifier-k8s${seq}-0` });
    const placements = await bus.kv(KV_BUCKETS.placements);
    const key = kvKeys.placement(cfg.pipeline, cfg.stage, cfg.instance);
    const place = (generation: number, variant: string, cores: number, batchSize: number) =>
      placements.put(key, control.ReplicaPlacement, toPbPlacement({ pipeline: cfg.pipeline, stage: cfg.stage, instance: cfg.instance, target: { variant, cores, batchSize }, assignmentVersion: generation, generation }));
    await place(1, "mlp", 2, 2);
    const acks: control.AssignmentAck[] = [];
    const sub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.push(a));
    await bus.flush();
    const stage = await startStage(cfg, { logger, bus });
    try {
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 2, batchSize: 2 });
      await place(2, "cnn-small", 1, 8);
      await expect.poll(() => acks.find((a) => a.version === 2), { timeout: 10_000 }).toBeDefined();
      const refused = acks.find((a) => a.version === 2)!;
      expect(refused.applied).toBe(false);
      expect(refused.error).toBe("assignment v2: this replica is pinned to variant mlp; its placement asks for cnn-small");
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 2, batchSize: 2 });
      await place(3, "mlp", 1, 4);
      await expect.poll(() => stage.server.active?.batchSize, { timeout: 10_000 }).toBe(4);
      expect(stage.server.active).toMatchObject({ variant: "mlp", cores: 1 });
    } finally {
      await sub.stop();
      await stage.shutdown();
      await placements.delete(key);
    }
  });
});
