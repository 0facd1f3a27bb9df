import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { status } from "@grpc/grpc-js";
import type { Assignment } from "@fulcrum/core";
import { gatewayConfigSchema, startGateway, type GatewayHandle } from "@fulcrum/gateway";
import { control, subjects, KV_BUCKETS, kvKeys } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, testNatsUrl, toPbAssignment, type Bus, type InferOutcome } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalActuator, startReconcileLoop, type ReconcileLoop } from "../src/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const logger = createLogger({ service: "reconcile-test", level: "silent" });
const pipeline = `rec-${process.pid}`;
const stage = "classifier";

/**
 * Elastic replicas with real processes: the local actuator starts real stage replicas (fashion
 * models, onnxruntime), the reconcile loop follows Assignments published on NATS, an in-process
 * gateway routes a steady load. Scale-out, scale-in (drain) and a SIGKILLed replica are checked
 * against the request ledger.
 */
describe("reconcile loop with the local actuator", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-reconcile-"));
  let bus: Bus;
  let actuator: LocalActuator;
  let loop: ReconcileLoop;
  let gateway: GatewayHandle;
  let version = 0;

  const publish = async (replicas: number, variant = "linear"): Promise<void> => {
    version += 1;
    const a: Assignment = { pipeline, version, policy: "test", createdAtMs: Date.now(), stages: [{ stage, variants: [{ variant, weight: 1, batch: 4, coresPerReplica: 1, replicas }] }] };
    const pb = toPbAssignment(a, "test");
    await (await bus.kv(KV_BUCKETS.assignments)).put(kvKeys.assignment(pipeline), control.Assignment, pb);
    bus.publish(subjects.assignment(pipeline), control.Assignment, pb);
  };
  const ready = (): number => loop.snapshot().replicas.filter((r) => r.phase === "ready").length;
  const waitFor = async (what: string, ok: () => boolean, timeoutMs: number): Promise<number> => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; replicas ${JSON.stringify(loop.snapshot().replicas)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - t0;
  };
  /** A steady closed loop of `clients` callers through the gateway until `stop()`; every outcome kept. */
  const load = (clients: number) => {
    const outcomes: InferOutcome[] = [];
    let running = true;
    const cs = Array.from({ length: clients }, () => new OipClient(gateway.grpcAddress));
    const done = Promise.all(
      cs.map(async (c) => {
        while (running) {
          outcomes.push(await c.infer(fp32Request(pipeline, "input", [1, 28, 28], { params: {} })));
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    return {
      outcomes,
      async stop() {
        running = false;
        await done;
        for (const c of cs) c.close();
      },
    };
  };

  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "reconcile-test" });
    actuator = new LocalActuator({ repoRoot: ROOT, logDir: dir, env: { NATS_URL: testNatsUrl(), LOG_LEVEL: "warn", OTEL_TRACES_EXPORTER: "none", FULCRUM_STAGE_FAMILY: "fashion" } });
    loop = await startReconcileLoop({ pipeline, bus, actuator, coreBudget: 2, bootstrap: { [stage]: [{ variant: "linear", cores: 1, batchSize: 4 }] }, passIntervalMs: 500, logger });
    gateway = await startGateway(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 5000, stages: [{ name: stage }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 }), { logger, bus });
    await waitFor("the bootstrap replica", () => ready() === 1, 120_000);
  }, 180_000);

  afterAll(async () => {
    await gateway?.shutdown();
    await loop?.stop();
    await actuator?.close();
    await bus?.drain();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("scales out, then drains a replica under load without losing a request", { timeout: 240_000 }, async () => {
    const l = load(4);
    await publish(2);
    await waitFor("a second ready replica", () => ready() === 2, 120_000);
    await new Promise((r) => setTimeout(r, 2000));
    await publish(1);
    await waitFor("the drain", () => loop.snapshot().replicas.length === 1 && ready() === 1, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    await l.stop();
    expect(l.outcomes.length).toBeGreaterThan(50);
    const failed = l.outcomes.filter((o) => !o.ok);
    expect(failed.map((o) => `${o.code}: ${o.details}`)).toEqual([]);
    expect(loop.snapshot().actions.drain).toBeGreaterThanOrEqual(1);
  });

  it("replaces a SIGKILLed replica while requests keep being answered", { timeout: 240_000 }, async () => {
    await publish(2);
    await waitFor("two ready replicas", () => ready() === 2, 120_000);
    const l = load(4);
    await new Promise((r) => setTimeout(r, 1500));
    const victim = loop.snapshot().replicas.find((r) => r.phase === "ready")!.instance;
    const before = loop.snapshot().coldStarts.length;
    actuator.processOf(victim)!.kill("SIGKILL");
    const killedAt = Date.now();
    // A replacement is started at the next pass after the exit and serves once it is warm.
    const replacedMs = await waitFor("a replacement", () => loop.snapshot().coldStarts.length > before && ready() === 2, 120_000);
    await new Promise((r) => setTimeout(r, 1000));
    await l.stop();
    const snap = loop.snapshot();
    expect(snap.replicas.map((r) => r.instance)).not.toContain(victim);
    expect(snap.actions.forget).toBeGreaterThanOrEqual(1);
    // Every request got an answer; calls in flight on the killed process were retried on the other
    // replica by the gateway, so none failed.
    const bad = l.outcomes.filter((o) => !o.ok);
    expect(bad.filter((o) => o.code !== status.UNAVAILABLE).map((o) => `${o.code}: ${o.details}`)).toEqual([]);
    expect(bad.length, `${bad.length} UNAVAILABLE of ${l.outcomes.length}; replacement after ${replacedMs} ms (killed at ${killedAt})`).toBe(0);
    const totals = gateway.totals(pipeline)!;
    expect(totals.arrivals).toBe(totals.inTime + totals.late + totals.rejected + totals.failed);
  });
});
