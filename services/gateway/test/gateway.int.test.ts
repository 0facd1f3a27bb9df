import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { status } from "@grpc/grpc-js";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, oipParam, oipParamValue, testNatsUrl, type Bus, type InferOutcome } from "@fulcrum/runtime";
import { stageConfigSchema, startStage, type StageHandle } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema, startGateway, type GatewayHandle } from "../src/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const logger = createLogger({ service: "gateway-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());
const TAIL = [1, 28, 28];
let seq = 0;

function stageConfig(pipeline: string, over: Record<string, unknown>) {
  return Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", family: "fashion", variant: "linear", modelDir, metricsIntervalMs: 500, heartbeatMs: 200, ...over }));
}

function gatewayConfig(pipeline: string, stages: string[] = ["classifier"]) {
  return Object.freeze(
    gatewayConfigSchema.parse({
      pipelines: [{ name: pipeline, sloMs: 5000, stages: stages.map((name) => ({ name })), accuracies: { linear: 0.8449, mlp: 0.8882 } }],
      grpcPort: 0,
      httpPort: 0,
      metricsPort: 0,
      staleMs: 2000,
      metricsIntervalMs: 200,
    }),
  );
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function liveVariants(g: GatewayHandle, pipeline: string): string[] {
  return g.router
    .replicasOf(pipeline, "classifier")
    .filter((r) => r.state === "ready" && Date.now() - r.heartbeatMs < 2000)
    .map((r) => r.variant)
    .sort();
}

describe("gateway over real stages, gRPC and NATS", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "gateway-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("splits requests by the assignment's weights, answers REST, and publishes GatewayMetrics", async () => {
    const pipeline = `gw${++seq}-${process.pid}`;
    const stages: StageHandle[] = [];
    const gateway = await startGateway(gatewayConfig(pipeline), { logger, bus });
    const metrics: control.GatewayMetrics[] = [];
    const sub = bus.subscribe(subjects.gatewayMetrics(pipeline), control.GatewayMetrics, (m) => void metrics.push(m));
    const client = new OipClient(gateway.grpcAddress);
    try {
      stages.push(await startStage(stageConfig(pipeline, { instance: "r0", replicaIndex: 0 }), { logger, bus }));
      stages.push(await startStage(stageConfig(pipeline, { instance: "r1", replicaIndex: 1 }), { logger, bus }));
      const assignment: control.Assignment = {
        pipeline,
        version: 1,
        policy: "test",
        createdUnixMs: Date.now(),
        reason: "test",
        stages: [{ stage: "classifier", variants: [{ variant: "linear", weight: 0.75, batch: 4, coresPerReplica: 1, replicas: 1 }, { variant: "mlp", weight: 0.25, batch: 4, coresPerReplica: 1, replicas: 1 }] }],
      };
      await (await bus.kv(KV_BUCKETS.assignments)).put(kvKeys.assignment(pipeline), control.Assignment, assignment);
      bus.publish(subjects.assignment(pipeline), control.Assignment, assignment);
      await until(() => liveVariants(gateway, pipeline).join() === "linear,mlp" && gateway.router.assignment(pipeline)?.version === 1, "both variants live in the registry");

      const outcomes: InferOutcome[] = [];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 50; i++) outcomes.push(await client.infer(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(5000) } })));
        }),
      );
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      const variants = outcomes.map((o) => String(oipParamValue(o.response?.parameters.variant)));
      const linear = variants.filter((v) => v === "classifier=linear").length;
      expect(variants.filter((v) => v === "classifier=mlp").length).toBe(200 - linear);
      expect(Math.abs(linear - 150)).toBeLessThanOrEqual(20);
      expect(outcomes[0]?.response?.outputs[0]).toMatchObject({ name: "logits", shape: [1, 10] });
      expect(Number(oipParamValue(outcomes[0]?.response?.parameters.latency_ms))).toBeGreaterThan(0);

      const rest = await fetch(`http://127.0.0.1:${gateway.httpPort}/v2/models/${pipeline}/infer`, {
        method: "POST",
        body: JSON.stringify({ id: "json-1", parameters: { slo_ms: 5000 }, inputs: [{ name: "input", shape: [2, 1, 28, 28], datatype: "FP32", data: Array(2 * 784).fill(0.5) }] }),
      });
      expect(rest.status).toBe(200);
      const body = (await rest.json()) as { id: string; outputs: Array<{ name: string; shape: number[]; data: number[] }>; parameters: { variant: string } };
      expect(body.id).toBe("json-1");
      expect(body.outputs[0]).toMatchObject({ name: "logits", shape: [2, 10] });
      expect(body.outputs[0]!.data).toHaveLength(20);
      expect(body.parameters.variant).toMatch(/^classifier=(linear|mlp)$/);
      const bad = await fetch(`http://127.0.0.1:${gateway.httpPort}/v2/models/${pipeline}/infer`, { method: "POST", body: "{" });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^body: not valid JSON/);
      expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/v2/health/ready`)).status).toBe(200);

      // Every request that reached the pipeline (not the malformed JSON) shows up once, with its fate.
      await until(() => metrics.reduce((s, m) => s + m.answeredInTime + m.late, 0) >= 201, "gateway metrics to cover every request");
      const sum = (f: (m: control.GatewayMetrics) => number): number => metrics.reduce((s, m) => s + f(m), 0);
      expect(sum((m) => m.arrivals)).toBe(201);
      expect(sum((m) => m.answeredInTime + m.late)).toBe(201);
      expect(sum((m) => m.rejected + m.failed)).toBe(0);
      const busy = metrics.filter((m) => m.answeredInTime > 0);
      expect(busy.every((m) => m.meanAccuracy >= 0.8449 - 1e-9 && m.meanAccuracy <= 0.8882 + 1e-9)).toBe(true);
      expect(busy.every((m) => m.latencyP50Ms > 0)).toBe(true);
      // Budgets describe the window's arrivals; a window may only hold answers to earlier arrivals.
      expect(metrics.filter((m) => m.arrivals > 0).every((m) => m.budgetP50Ms > 4000)).toBe(true);
      const prom = await (await fetch(`http://127.0.0.1:${gateway.metricsPort}/metrics`)).text();
      expect(prom).toMatch(new RegExp(`fulcrum_gateway_requests_total\\{pipeline="${pipeline}",fate="in-time"\\} \\d+`));
    } finally {
      client.close();
      await sub.stop();
      await gateway.shutdown();
      for (const s of stages) await s.shutdown();
    }
  });

  it("moves a killed replica's traffic to the other replica without failed requests", async () => {
    const pipeline = `gw${++seq}-${process.pid}`;
    const gateway = await startGateway(gatewayConfig(pipeline), { logger, bus });
    const survivor = await startStage(stageConfig(pipeline, { instance: "survivor" }), { logger, bus });
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NATS_URL: testNatsUrl(),
      FULCRUM_STAGE_PIPELINE: pipeline,
      FULCRUM_STAGE_STAGE: "classifier",
      FULCRUM_STAGE_INSTANCE: "victim",
      FULCRUM_STAGE_FAMILY: "fashion",
      FULCRUM_STAGE_VARIANT: "linear",
      FULCRUM_STAGE_HEARTBEAT_MS: "200",
      FULCRUM_STAGE_METRICS_INTERVAL_MS: "500",
      FULCRUM_MODEL_DIR: modelDir,
      LOG_LEVEL: "warn",
    };
    const victim: ChildProcess = spawn(process.execPath, ["--conditions=@fulcrum/source", "--import", "tsx", "services/stage/src/main.ts"], { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise<void>((r) => victim.once("exit", () => r()));
    const client = new OipClient(gateway.grpcAddress);
    try {
      await until(() => gateway.router.replicasOf(pipeline, "classifier").filter((r) => r.state === "ready").length === 2, "both replicas registered", 40_000);
      const outcomes: Array<InferOutcome & { sentAfterKill: boolean }> = [];
      let killed = false;
      let running = true;
      const loops = Array.from({ length: 4 }, async () => {
        while (running) {
          const sentAfterKill = killed;
          outcomes.push({ sentAfterKill, ...(await client.infer(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(5000) } }))) });
        }
      });
      await until(() => outcomes.length >= 100, "traffic before the kill");
      const survivorBeforeKill = survivor.server.totals.completions;
      victim.kill("SIGKILL");
      killed = true;
      await exited;
      const atKill = outcomes.length;
      // The victim took its share before it died.
      expect(survivorBeforeKill).toBeLessThan(atKill - 20);
      await until(() => outcomes.length >= atKill + 150, "traffic after the kill");
      running = false;
      await Promise.all(loops);
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(outcomes.filter((o) => o.sentAfterKill).length).toBeGreaterThanOrEqual(150);
      expect(survivor.server.totals.completions).toBeGreaterThanOrEqual(outcomes.filter((o) => o.sentAfterKill).length);
      expect(gateway.totals(pipeline)).toMatchObject({ failed: 0, rejected: 0 });
    } finally {
      stopChild(victim);
      client.close();
      await gateway.shutdown();
      await survivor.shutdown();
    }
  });

  it("answers UNAVAILABLE when a stage has no replica, NOT_FOUND for an unknown pipeline, INVALID_ARGUMENT for a bad slo_ms", async () => {
    const pipeline = `gw${++seq}-${process.pid}`;
    const gateway = await startGateway(gatewayConfig(pipeline, ["ghost"]), { logger, bus });
    const client = new OipClient(gateway.grpcAddress);
    try {
      const none = await client.infer(fp32Request(pipeline, "input", TAIL));
      expect(none.code).toBe(status.UNAVAILABLE);
      expect(none.details).toBe(`no ready replica of stage "ghost" of pipeline "${pipeline}"`);
      const unknown = await client.infer(fp32Request("nope", "input", TAIL));
      expect(unknown.code).toBe(status.NOT_FOUND);
      expect(unknown.details).toBe(`unknown pipeline "nope" (known: ${pipeline})`);
      const bad = await client.infer(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(-3) } }));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details).toBe("parameters.slo_ms: must be > 0 ms, got -3");
      expect(gateway.totals(pipeline)).toEqual({ arrivals: 2, inTime: 0, late: 0, rejected: 2, failed: 0 });
      const rest = await fetch(`http://127.0.0.1:${gateway.httpPort}/v2/models/${pipeline}/infer`, {
        method: "POST",
        body: JSON.stringify({ inputs: [{ name: "input", shape: [1], datatype: "FP32", data: [1] }] }),
      });
      expect(rest.status).toBe(503);
    } finally {
      client.close();
      await gateway.shutdown();
    }
  });
});

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
