/**
 * `npm run bench -- scaling [repetitions=10]`: what adding a core costs as a new replica (a cold
 * start) versus in place (Sponge's argument for in-place vertical scaling), measured with the real
 * pieces: a private nats-server, the reconcile loop with the local actuator starting real stage
 * replicas (fashion, onnxruntime), and the gateway in this process under a steady closed-loop load.
 *
 * Each repetition, from one 1-core `linear` replica (batch ≤ 4, core budget 2):
 * 1. scale-up: an Assignment asking for two 1-core replicas is published; the sample is published →
 *    the new replica's first served request (the gateway's own call to it returned an answer);
 * 2. drain: an Assignment asking for one replica again; requests that failed while the extra replica
 *    drained count in `drainFailedRequests` (must be 0);
 * 3. in place: an Assignment asking for the one replica with 2 cores; the sample is published → the
 *    first request that replica served after it registered 2 cores (the stage heartbeats at once
 *    after applying a placement); then back to 1 core the same way.
 *
 * Figures: `scaleUpToServingP50Ms`, `scaleUpToServingP95Ms`, `drainFailedRequests`,
 * `inPlaceCoresChangeP50Ms`, `coldOverInPlace` (= scale-up p50 ÷ in-place p50). Quantiles as
 * `@fulcrum/core/stats` computes them (type 7).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalActuator, startReconcileLoop, type ReconcileLoop } from "@fulcrum/actuator";
import type { Assignment } from "@fulcrum/core";
import type { RegistryRecord } from "@fulcrum/core/control";
import { quantile } from "@fulcrum/core/stats";
import { gatewayConfigSchema, startGateway, type GatewayHandle } from "@fulcrum/gateway";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, startNatsServer, toDomainRegistryRecord, toPbAssignment, type Bus } from "@fulcrum/runtime";
import { REPO } from "./_processes.ts";

const PIPELINE = "bench-scaling";
const STAGE = "classifier";
const VARIANT = "linear";
const BATCH = 4;
const logger = createLogger({ service: "bench-scaling", level: "warn" });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`scaling bench: ${what} not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** First successful answer of each replica after a moment, from the gateway's own calls to it. */
class ServedLog {
  /** Per instance: Unix ms of every call that returned an answer (bounded: the last 64). */
  private readonly answered = new Map<string, number[]>();

  /**
   * Wraps the gateway router's call bookkeeping: `end(instance)` follows every call to a replica,
   * and a call that failed is followed, in the same turn, by `eject(instance)`. A call counts as
   * served when its end is not followed by an eject before the next turn of the event loop.
   */
  constructor(gateway: GatewayHandle) {
    const router = gateway.router;
    const end = router.end.bind(router);
    const eject = router.eject.bind(router);
    const ejectedInTurn = new Set<string>();
    router.eject = (instance, nowMs) => {
      ejectedInTurn.add(instance);
      eject(instance, nowMs);
    };
    router.end = (instance) => {
      const at = Date.now();
      end(instance);
      queueMicrotask(() =>
        setImmediate(() => {
          if (ejectedInTurn.delete(instance)) return;
          const xs = this.answered.get(instance) ?? [];
          xs.push(at);
          if (xs.length > 64) xs.shift();
          this.answered.set(instance, xs);
        }),
      );
    };
  }

  /** The first answer of `instance` at or after `sinceMs`. */
  firstAfter(instance: string, sinceMs: number): number | undefined {
    return this.answered.get(instance)?.find((t) => t >= sinceMs);
  }

  instances(): string[] {
    return [...this.answered.keys()];
  }
}

export default async function scaling(args: string[]): Promise<object> {
  const repetitions = Number(args[0] ?? 10);
  if (!(Number.isInteger(repetitions) && repetitions >= 1)) throw new Error(`scaling bench: repetitions must be a positive integer, got "${args[0]}"`);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-bench-scaling-"));
  const nats = await startNatsServer();
  let bus: Bus | undefined;
  let actuator: LocalActuator | undefined;
  let loop: ReconcileLoop | undefined;
  let gateway: GatewayHandle | undefined;
  const clients: OipClient[] = [];
  let loading = true;
  let load: Promise<unknown> = Promise.resolve();
  try {
    bus = await connectBus({ servers: nats.url, name: "bench-scaling" });
    const registry = new Map<string, RegistryRecord>();
    const registryKv = await bus.kv(KV_BUCKETS.registry);
    await registryKv.watch(kvKeys.registryOfPipeline(PIPELINE), control.RegistryEntry, (e, key) => {
      const instance = key.split(".")[2] ?? "";
      if (e) registry.set(instance, toDomainRegistryRecord(e));
      else registry.delete(instance);
    });
    actuator = new LocalActuator({ repoRoot: REPO, logDir: dir, env: { NATS_URL: nats.url, LOG_LEVEL: "warn", OTEL_TRACES_EXPORTER: "none", FULCRUM_STAGE_FAMILY: "fashion" } });
    loop = await startReconcileLoop({ pipeline: PIPELINE, bus, actuator, coreBudget: 2, bootstrap: { [STAGE]: [{ variant: VARIANT, cores: 1, batchSize: BATCH }] }, passIntervalMs: 250, logger });
    gateway = await startGateway(gatewayConfigSchema.parse({ pipelines: [{ name: PIPELINE, sloMs: 5000, stages: [{ name: STAGE }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 }), { logger, bus });
    const served = new ServedLog(gateway);
    const l = loop;
    const readyInstances = (): string[] => l.snapshot().replicas.filter((r) => r.phase === "ready").map((r) => r.instance);
    await waitFor("the first replica", () => readyInstances().length === 1, 180_000);

    // Closed-loop load: 3 callers, 10 ms apart (the replicas are never idle, the machine not saturated).
    const failures: number[] = [];
    let answered = 0;
    for (let i = 0; i < 3; i++) clients.push(new OipClient(gateway.grpcAddress));
    load = Promise.all(
      clients.map(async (c) => {
        while (loading) {
          const o = await c.infer(fp32Request(PIPELINE, "input", [1, 28, 28], { params: {} }));
          if (o.ok) answered += 1;
          else failures.push(Date.now());
          await sleep(10);
        }
      }),
    );

    let version = 0;
    const assignmentsKv = await bus.kv(KV_BUCKETS.assignments);
    const publish = async (replicas: number, cores: number): Promise<number> => {
      version += 1;
      const a: Assignment = { pipeline: PIPELINE, version, policy: "bench", createdAtMs: Date.now(), stages: [{ stage: STAGE, variants: [{ variant: VARIANT, weight: 1, batch: BATCH, coresPerReplica: cores, replicas }] }] };
      const pb = toPbAssignment(a, "bench");
      const at = Date.now();
      await assignmentsKv.put(kvKeys.assignment(PIPELINE), control.Assignment, pb);
      bus!.publish(subjects.assignment(PIPELINE), control.Assignment, pb);
      return at;
    };
    /** Waits for the single replica to register `cores` after `sinceMs`, then for its first answer after that. */
    const inPlace = async (cores: number): Promise<number> => {
      const [instance] = readyInstances();
      const t0 = await publish(1, cores);
      let registeredAt = 0;
      await waitFor(`${instance} registering ${cores} core(s)`, () => {
        const r = registry.get(instance!);
        if (r?.cores === cores && r.heartbeatMs >= t0 && r.state === "ready") registeredAt ||= Date.now();
        return registeredAt > 0 && served.firstAfter(instance!, registeredAt) !== undefined;
      }, 60_000);
      return served.firstAfter(instance!, registeredAt)! - t0;
    };

    const scaleUps: number[] = [];
    const coldStarts: number[] = [];
    const inPlaceUps: number[] = [];
    let drainFailedRequests = 0;
    for (let rep = 0; rep < repetitions; rep++) {
      const before = new Set(readyInstances());
      const coldBefore = l.snapshot().coldStarts.length;
      const t0 = await publish(2, 1);
      let fresh: string | undefined;
      await waitFor("the new replica's first served request", () => {
        fresh = served.instances().find((i) => !before.has(i) && served.firstAfter(i, t0) !== undefined);
        return fresh !== undefined;
      }, 180_000);
      scaleUps.push(served.firstAfter(fresh!, t0)! - t0);

      const drainFrom = Date.now();
      await publish(1, 1);
      await waitFor("the drain back to one replica", () => l.snapshot().replicas.length === 1 && readyInstances().length === 1, 120_000);
      await sleep(500); // answers of requests that were in flight on the drained replica
      drainFailedRequests += failures.filter((t) => t >= drainFrom).length;

      inPlaceUps.push(await inPlace(2));
      await inPlace(1);
      // The loop records a cold start on the pass that sees the replica ready, which can come after
      // the gateway's first call to it: read it once the repetition is over.
      const cold = l.snapshot().coldStarts.slice(coldBefore).map((c) => Math.round(c.ms));
      coldStarts.push(...cold);
      console.log(`rep ${rep + 1}/${repetitions}: scale-up to serving ${scaleUps.at(-1)} ms (cold start ${cold.length > 0 ? cold.join(", ") : "not recorded"} ms), in place ${inPlaceUps.at(-1)} ms`);
    }
    loading = false;
    await load;

    const p50 = quantile(scaleUps, 0.5);
    const r = {
      repetitions,
      scaleUpToServingP50Ms: p50,
      scaleUpToServingP95Ms: quantile(scaleUps, 0.95),
      drainFailedRequests,
      inPlaceCoresChangeP50Ms: quantile(inPlaceUps, 0.5),
      coldOverInPlace: p50 / quantile(inPlaceUps, 0.5),
      samples: { scaleUpToServingMs: scaleUps, coldStartToReadyMs: coldStarts, inPlaceCoresChangeMs: inPlaceUps },
      requests: { answered, failed: failures.length },
    };
    console.log(`scaleUpToServingP50Ms ${r.scaleUpToServingP50Ms.toFixed(0)} (assignment published → new 1-core replica's first served request, ${repetitions} scale-ups)`);
    console.log(`scaleUpToServingP95Ms ${r.scaleUpToServingP95Ms.toFixed(0)}`);
    console.log(`drainFailedRequests ${r.drainFailedRequests} (requests failed while the extra replica drained, ${repetitions} drains under load)`);
    console.log(`inPlaceCoresChangeP50Ms ${r.inPlaceCoresChangeP50Ms.toFixed(0)} (assignment published → first request served after the replica registered 1 → 2 cores in place)`);
    console.log(`coldOverInPlace ${r.coldOverInPlace.toFixed(1)}`);
    return r;
  } finally {
    loading = false;
    await load.catch(() => {});
    for (const c of clients) c.close();
    await gateway?.shutdown();
    await loop?.stop();
    await actuator?.close();
    await bus?.drain();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
