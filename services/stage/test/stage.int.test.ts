import { existsSync, readdirSync, readFileSync } from "node:fs";
import { status } from "@grpc/grpc-js";
import { control, KV_BUCKETS, kvKeys, subjects, type inference } from "@fulcrum/proto";
import {
  connectBus,
  createLogger,
  fp32Request as floatRequest,
  installInMemoryTracing,
  OipClient,
  oipParam as param,
  oipParamValue as paramValue,
  testNatsUrl,
  type Bus,
  type InferOutcome,
} from "@fulcrum/runtime";
import { ensureGeneratedModel, resolveModelDir, ZOO_TEST_RESOLUTION } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageConfigSchema, startStage, type StageConfig, type StageHandle } from "../src/index.js";


const exporter = installInMemoryTracing();
const logger = createLogger({ service: "stage-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());
const FASHION_TAIL = [1, 28, 28];
const RESNET_TAIL = [3, ZOO_TEST_RESOLUTION, ZOO_TEST_RESOLUTION];
let seq = 0;

function config(over: Record<string, unknown>): StageConfig {
  return Object.freeze(
    stageConfigSchema.parse({ pipeline: `p${++seq}`, stage: "classifier", instance: `i${seq}`, family: "fashion", variant: "linear", modelDir, metricsIntervalMs: 200, heartbeatMs: 200, ...over }),
  );
}

/** What the optimizer does: the Assignment goes into KV (the version authority), then on the subject. */
async function assign(bus: Bus, a: control.Assignment): Promise<void> {
  await (await bus.kv(KV_BUCKETS.assignments)).put(kvKeys.assignment(a.pipeline), control.Assignment, a);
  bus.publish(subjects.assignment(a.pipeline), control.Assignment, a);
}

function spansOf(name: string, requestIds: ReadonlySet<string>) {
  return exporter.getFinishedSpans().filter((s) => s.name === name && requestIds.has(String(s.attributes["fulcrum.request_id"])));
}
const ms = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;

describe("stage over real gRPC, NATS and onnxruntime", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "stage-test" });
    for (const variant of ["resnet18"]) ensureGeneratedModel({ family: "resnet", variant, resolution: ZOO_TEST_RESOLUTION, modelDir });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("serves OIP metadata and readiness", async () => {
    const stage = await startStage(config({}), { logger, bus });
    const client = new OipClient(stage.grpcAddress);
    try {
      const meta = await new Promise<{ inputs: Array<{ name: string; datatype: string; shape: number[] }> }>((resolve, reject) =>
        client.raw.modelMetadata({ name: "classifier", version: "" }, (e, r) => (e ? reject(e) : resolve(r!))),
      );
      expect(meta.inputs).toEqual([{ name: "input", datatype: "FP32", shape: [-1, 1, 28, 28] }]);
      const ready = await new Promise<boolean>((resolve, reject) => client.raw.modelReady({ name: "classifier", version: "" }, (e, r) => (e ? reject(e) : resolve(r!.ready))));
      expect(ready).toBe(true);
      const ok = await client.infer(floatRequest("classifier", "input", FASHION_TAIL, { rows: 3 }));
      expect(ok.ok).toBe(true);
      expect(ok.response?.outputs[0]).toMatchObject({ name: "logits", datatype: "FP32", shape: [3, 10] });
      expect(ok.response?.rawOutputContents[0]?.byteLength).toBe(3 * 10 * 4);
      expect(paramValue(ok.response?.parameters.variant)).toBe("linear");
      // Over the wire too: the batch's session.run time, within the stage's arrival → result time.
      const runMs = Number(paramValue(ok.response?.parameters.session_run_ms));
      expect(runMs).toBeGreaterThan(0);
      expect(runMs).toBeLessThanOrEqual(Number(paramValue(ok.response?.parameters.stage_latency_ms)));
    } finally {
      client.close();
      await stage.shutdown();
    }
  });

  it.runIf(existsSync("/proc/thread-self"))("runs its inference threads at inferenceNiceness (default: the process's own)", async () => {
    const niceOf = (): Map<string, number> =>
      new Map(readdirSync("/proc/self/task").map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
        return [tid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16])] as const;
      }));
    const own = niceOf().get(String(process.pid));
    for (const [over, expected] of [[{}, own], [{ inferenceNiceness: 6 }, 6]] as const) {
      const before = niceOf();
      const stage = await startStage(config(over), { logger });
      try {
        const added = [...niceOf()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
        // At least the serving session's worker, and never the event loop's thread.
        expect(added.filter((n) => n === expected).length, JSON.stringify(over)).toBeGreaterThanOrEqual(1);
        if (expected === own) expect(added.every((n) => n === own)).toBe(true);
        expect(niceOf().get(String(process.pid))).toBe(own);
      } finally {
        await stage.shutdown();
      }
    }
    expect(() => stageConfigSchema.parse({ pipeline: "p", stage: "s", family: "fashion", variant: "linear", inferenceNiceness: 20 })).toThrow(/inferenceNiceness/);
  });

  it("forms batches, dispatches in EDF order, and drops hopeless requests before the model", async () => {
    const stage = await startStage(config({ family: "resnet", variant: "resnet18", resolution: ZOO_TEST_RESOLUTION, batchSize: 1, maxQueueDelayMs: 0 }), { logger, bus });
    const client = new OipClient(stage.grpcAddress);
    try {
      // EDF: 30 requests arrive together with shuffled deadlines while the session is busy (behind
      // four 64-row requests); once all are queued, dispatch follows deadlines.
      const arrived = stage.server.totals.arrivals;
      const busy = Array.from({ length: 4 }, () => client.infer(floatRequest("classifier", "input", RESNET_TAIL, { rows: 64, params: { slo_ms: param.int(15_000) } })));
      await expect.poll(() => stage.server.totals.arrivals, { timeout: 10_000, interval: 1 }).toBe(arrived + 4);
      const now = Date.now();
      const order = Array.from({ length: 30 }, (_, i) => i).sort((a, b) => ((a * 7919) % 31) - ((b * 7919) % 31));
      const ids = new Set<string>();
      const deadlineOf = new Map<string, number>();
      const calls = order.map((k) => {
        const id = `edf-${k}`;
        ids.add(id);
        deadlineOf.set(id, now + 20_000 + k * 10);
        return client.infer(floatRequest("classifier", "input", RESNET_TAIL, { params: { request_id: param.str(id), deadline_unix_ms: param.int(now + 20_000 + k * 10) } }));
      });
      const results = await Promise.all(calls);
      expect(results.every((r) => r.ok)).toBe(true);
      expect((await Promise.all(busy)).every((r) => r.ok)).toBe(true);
      const queueSpans = spansOf("stage.queue", ids).map((s) => ({ id: String(s.attributes["fulcrum.request_id"]), arrival: ms(s.startTime), dispatch: ms(s.endTime) }));
      expect(queueSpans).toHaveLength(30);
      const lastArrival = Math.max(...queueSpans.map((s) => s.arrival));
      const afterAll = queueSpans.filter((s) => s.dispatch >= lastArrival).sort((a, b) => a.dispatch - b.dispatch);
      expect(afterAll.length).toBeGreaterThanOrEqual(10);
      const deadlines = afterAll.map((s) => deadlineOf.get(s.id)!);
      expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));

      // Batches (work-conserving): requests that queue while the session is busy (here behind a
      // 64-row request) share batches of at most 8; the busy session's first request ran alone.
      stage.server.setBatchSize(8);
      const before = stage.server.totals.arrivals;
      const slow = client.infer(floatRequest("classifier", "input", RESNET_TAIL, { rows: 64, params: { slo_ms: param.int(20_000) } }));
      await expect.poll(() => stage.server.totals.arrivals, { timeout: 10_000, interval: 1 }).toBe(before + 1);
      const batched = await Promise.all(Array.from({ length: 24 }, () => client.infer(floatRequest("classifier", "input", RESNET_TAIL, { params: { slo_ms: param.int(20_000) } }))));
      expect(Number(paramValue((await slow).response?.parameters.batch_size))).toBe(1);
      const sizes = batched.map((r) => Number(paramValue(r.response?.parameters.batch_size)));
      expect(batched.every((r) => r.ok)).toBe(true);
      expect(Math.max(...sizes)).toBe(8);
      expect(sizes.every((b) => b >= 1 && b <= 8)).toBe(true);

      // Hopeless deadlines are answered DEADLINE_EXCEEDED at once and never reach the model.
      const hopeless = new Set<string>();
      const drops = await Promise.all(
        Array.from({ length: 5 }, (_, i) => {
          const id = `late-${i}`;
          hopeless.add(id);
          const params: Record<string, inference.InferParameter> =
            i % 2 === 0 ? { request_id: param.str(id), deadline_unix_ms: param.int(Date.now() - 5) } : { request_id: param.str(id), slo_ms: param.double(0.01) };
          return client.infer(floatRequest("classifier", "input", RESNET_TAIL, { params }));
        }),
      );
      expect(drops.map((d) => d.code)).toEqual(Array(5).fill(status.DEADLINE_EXCEEDED));
      expect(drops[0]?.details).toMatch(/dropped early/);
      expect(spansOf("stage.inference", hopeless)).toHaveLength(0);
      expect(stage.server.totals.earlyDrops).toBe(5);
    } finally {
      client.close();
      await stage.shutdown();
    }
  });

  it("applies 20 live reconfigurations under load with zero failed requests, acking every version", async () => {
    const cfg = config({ variant: "linear", batchSize: 4, maxCoresPerReplica: 2 });
    const stage = await startStage(cfg, { logger, bus });
    const acks = new Map<number, control.AssignmentAck>();
    const ackSub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.set(a.version, a));
    await bus.flush();
    const clients = Array.from({ length: 4 }, () => new OipClient(stage.grpcAddress));
    const outcomes: Array<InferOutcome & { id: string }> = [];
    let running = true;
    const loops = clients.map(async (c, k) => {
      for (let n = 0; running; n++) {
        const id = `rc-${k}-${n}`;
        outcomes.push({ id, ...(await c.infer(floatRequest("classifier", "input", FASHION_TAIL, { params: { request_id: param.str(id), slo_ms: param.int(5_000) } }))) });
      }
    });
    const variants = ["mlp", "cnn-small", "linear"];
    try {
      for (let v = 1; v <= 20; v++) {
        const target = { variant: variants[v % 3]!, weight: 1, batch: [1, 4, 8][v % 3 === 0 ? (v / 3) % 3 : (v + 1) % 3]!, coresPerReplica: 1 + (v % 2), replicas: 1 };
        await assign(bus, {
          pipeline: cfg.pipeline,
          version: v,
          policy: "test",
          createdUnixMs: Date.now(),
          reason: "",
          stages: [{ stage: "classifier", variants: [target] }],
        });
        await expect.poll(() => acks.get(v), { timeout: 20_000, interval: 20 }).toBeDefined();
        expect(acks.get(v)).toMatchObject({ applied: true, error: "" });
        expect(stage.server.active).toMatchObject({ variant: target.variant, cores: target.coresPerReplica, batchSize: target.batch });
        await new Promise((r) => setTimeout(r, 30));
      }
    } finally {
      running = false;
      await Promise.all(loops);
      for (const c of clients) c.close();
      await ackSub.stop();
    }
    expect(outcomes.length).toBeGreaterThan(200);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    // Each response names the variant that was active when its batch was dispatched.
    const ids = new Set(outcomes.map((o) => o.id));
    const inference = new Map(spansOf("stage.inference", ids).map((s) => [String(s.attributes["fulcrum.request_id"]), s]));
    const history = stage.server.activations;
    for (const o of outcomes) {
      const span = inference.get(o.id)!;
      const dispatch = ms(span.startTime);
      const activeThen = [...history].reverse().find((a) => a.atMs <= dispatch + 1e-6);
      expect(paramValue(o.response?.parameters.variant)).toBe(activeThen?.variant);
    }
    await stage.shutdown();
  });

  it.each([
    ["wrong dtype", (r: ReturnType<typeof floatRequest>) => ({ ...r, inputs: [{ ...r.inputs![0]!, datatype: "INT32" }] }), "inputs[0].datatype"],
    ["wrong shape", (r: ReturnType<typeof floatRequest>) => ({ ...r, inputs: [{ ...r.inputs![0]!, shape: [1, 1, 27, 28] }] }), "inputs[0].shape"],
    ["truncated bytes", (r: ReturnType<typeof floatRequest>) => ({ ...r, rawInputContents: [Buffer.alloc(100)] }), "raw_input_contents[0]"],
    ["oversized message", () => floatRequest("classifier", "input", FASHION_TAIL, { rows: 40 }), "raw_input_contents"],
    ["unknown model", (r: ReturnType<typeof floatRequest>) => ({ ...r, modelName: "resnet9000" }), "model_name"],
    ["no inputs", (r: ReturnType<typeof floatRequest>) => ({ ...r, inputs: [], rawInputContents: [] }), "inputs"],
    ["unknown input name", (r: ReturnType<typeof floatRequest>) => ({ ...r, inputs: [{ ...r.inputs![0]!, name: "image" }] }), "inputs[0].name"],
    ["no tensor data", (r: ReturnType<typeof floatRequest>) => ({ ...r, rawInputContents: [] }), "inputs[0].contents"],
    ["bad slo_ms", (r: ReturnType<typeof floatRequest>) => ({ ...r, parameters: { slo_ms: param.str("soon") } }), "parameters.slo_ms"],
  ])("answers %s with INVALID_ARGUMENT naming the field, then keeps serving", async (_name, mutate, field) => {
    const stage = await startStage(config({ maxRequestBytes: 64 * 1024 }), { logger, bus });
    const client = new OipClient(stage.grpcAddress);
    try {
      const bad = await client.infer(mutate(floatRequest("classifier", "input", FASHION_TAIL)));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details?.startsWith(`${field}:`)).toBe(true);
      const good = await client.infer(floatRequest("classifier", "input", FASHION_TAIL));
      expect(good.ok).toBe(true);
    } finally {
      client.close();
      await stage.shutdown();
    }
  });

  it("answers every queued request on shutdown (served or UNAVAILABLE) and refuses new ones", async () => {
    const stage: StageHandle = await startStage(
      config({ family: "resnet", variant: "resnet18", resolution: ZOO_TEST_RESOLUTION, batchSize: 1, maxQueueDelayMs: 0, shutdownGraceMs: 20, drainGraceMs: 0 }),
      { logger, bus },
    );
    const client = new OipClient(stage.grpcAddress);
    const calls = Array.from({ length: 60 }, () => client.infer(floatRequest("classifier", "input", RESNET_TAIL, { params: { slo_ms: param.int(60_000) } })));
    await expect.poll(() => stage.server.queueLength, { interval: 1 }).toBeGreaterThan(10);
    const stopping = stage.shutdown();
    // Shutdown tells the registry first and keeps taking calls until that write returns: a call
    // sent before then is queued, not refused (with 64 KiB HTTP/2 windows it used to arrive late
    // enough by accident). New calls are refused from the moment intake stops.
    await expect.poll(() => stage.server.intakeStopped, { interval: 1 }).toBe(true);
    const refused = await client.infer(floatRequest("classifier", "input", RESNET_TAIL));
    expect(refused.code).toBe(status.UNAVAILABLE);
    const settled = await Promise.race([Promise.all(calls), new Promise<"hung">((r) => setTimeout(() => r("hung"), 20_000))]);
    expect(settled).not.toBe("hung");
    const results = settled as InferOutcome[];
    const served = results.filter((r) => r.ok).length;
    const unavailable = results.filter((r) => r.code === status.UNAVAILABLE).length;
    expect(served + unavailable).toBe(60);
    expect(unavailable).toBeGreaterThan(0);
    expect(served).toBeGreaterThan(0);
    await stopping;
    client.close();
  });

  it("acks an Assignment it cannot apply with the reason and its version, and keeps serving", async () => {
    const cfg = config({ variant: "linear" });
    const stage = await startStage(cfg, { logger, bus });
    const acks: control.AssignmentAck[] = [];
    const sub = bus.subscribe(subjects.ack(cfg.pipeline, cfg.stage, cfg.instance), control.AssignmentAck, (a) => void acks.push(a));
    await bus.flush();
    const client = new OipClient(stage.grpcAddress);
    try {
      await assign(bus, {
        pipeline: cfg.pipeline,
        version: 4,
        policy: "test",
        createdUnixMs: Date.now(),
        reason: "",
        stages: [{ stage: "classifier", variants: [{ variant: "resnet18", weight: 1, batch: 2, coresPerReplica: 1, replicas: 1 }] }],
      });
      await expect.poll(() => acks.length, { timeout: 10_000 }).toBe(1);
      expect(acks[0]).toMatchObject({ version: 4, applied: false });
      expect(acks[0]!.error).toMatch(/^assignment v4: .*resnet18/);
      expect(stage.server.active).toMatchObject({ variant: "linear" });
      expect((await client.infer(floatRequest("classifier", "input", FASHION_TAIL))).ok).toBe(true);
    } finally {
      client.close();
      await sub.stop();
      await stage.shutdown();
    }
  });

  it("starts from the latest Assignment in KV (a late starter catches up) and publishes StageMetrics", async () => {
    const cfg = config({ variant: "linear" });
    const kv = await bus.kv("fulcrum_assignments");
    await kv.put(cfg.pipeline, control.Assignment, {
      pipeline: cfg.pipeline,
      version: 7,
      policy: "test",
      createdUnixMs: Date.now(),
      reason: "",
      stages: [{ stage: "classifier", variants: [{ variant: "mlp", weight: 1, batch: 2, coresPerReplica: 1, replicas: 1 }] }],
    });
    const metrics: control.StageMetrics[] = [];
    const sub = bus.subscribe(subjects.stageMetrics(cfg.pipeline, cfg.stage, cfg.instance), control.StageMetrics, (m) => void metrics.push(m));
    // The process start, as main.ts passes it: the registry carries it so the optimizer can learn start-ups.
    const processStartedMs = Date.now() - 2500;
    const stage = await startStage(cfg, { logger, bus, processStartedMs });
    const client = new OipClient(stage.grpcAddress);
    try {
      expect(stage.server.active).toMatchObject({ variant: "mlp", batchSize: 2 });
      expect(stage.reconfigurer.version).toBe(7);
      const entry = await (await bus.kv(KV_BUCKETS.registry)).get(kvKeys.registry(cfg.pipeline, cfg.stage, cfg.instance), control.RegistryEntry);
      expect(entry).toMatchObject({ state: "ready", startedUnixMs: Math.round(processStartedMs) });
      expect(entry!.readyUnixMs).toBeGreaterThan(entry!.startedUnixMs);
      expect(entry!.readyUnixMs).toBeLessThanOrEqual(entry!.heartbeatUnixMs);
      for (let i = 0; i < 5; i++) expect((await client.infer(floatRequest("classifier", "input", FASHION_TAIL))).ok).toBe(true);
      await expect.poll(() => metrics.reduce((a, m) => a + m.completions, 0), { timeout: 5000 }).toBe(5);
      expect(metrics.at(-1)).toMatchObject({ variant: "mlp", batchSize: 2, assignmentVersion: 7 });
    } finally {
      client.close();
      await sub.stop();
      await stage.shutdown();
    }
  });
});
