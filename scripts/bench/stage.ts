/**
 * `npm run bench -- stage [durationS=10] [repetitions=3] [changes=24]`: the stage's data-plane
 * figures, with honest resource accounting: a replica with c cores runs pinned to c CPUs (`taskset`,
 * CPUs 1…c), the load client runs on CPU 0, and the bare `session.run` it is compared with runs
 * pinned to the same CPUs as the replica. Each server is the real stage service (its own process,
 * a private nats-server) unless said otherwise.
 *
 * - `pinnedThroughputRatio`: ResNet-18 (zoo default resolution), batch ≤ 8, 1 core, closed-loop
 *   saturation; stage req/s ÷ bare items/s, median over interleaved repetitions (target ≥ 0.9).
 *   `details.pinnedThroughput.transportBoundRatio`: the same with the grpc-js echo server's CPU per
 *   request added to each item: an estimate (CPU costs assumed to add) of what a server doing only
 *   grpc-js and inference could reach on that one core.
 * - `lightP50Ms`, `lightP99Ms`, `overheadP50Ms`: ResNet-18, batch ≤ 8 allowed, 1-row requests at
 *   20 req/s on a fixed schedule (open loop); overhead = stage p50 − bare batch-1 `session.run` p50
 *   (targets: overhead ≤ 1 ms, p99 ≤ 1.5 × p50). `details.light.split` has the floor under it at the
 *   same rate and sizes: the grpc-js echo server, raw HTTP/2 and raw TCP round trips, and bare
 *   `session.run` on the same 20/s schedule (`bareAt20P50Ms`/`P99Ms`: inference alone on a core that
 *   idles between runs, the floor under the stage-reported latency).
 * - `echoRequestsPerSecond`, `smallModelOverEcho`: the transport anchor, a bare grpc-js server
 *   answering the same request with the stage's own precomputed response (`_oip-echo.ts`), loaded
 *   by the same client on the same CPUs; ratio = stage req/s ÷ echo req/s for `fashion/linear`,
 *   batch ≤ 8 (target ≥ 0.7).
 * - `reconfig.{batchP99Ms, coresP99Ms, variantP99Ms, failedRequests}`: ResNet-50 at the default
 *   resolution under continuous closed-loop load, `changes` Assignments of each kind (batch 8 ↔ 4,
 *   cores 1 ↔ 2, resnet50 ↔ resnet34) written to KV and broadcast, as the optimizer does; each sample is Assignment published →
 *   first batch of the new configuration finished (the stage runs in this process so both ends
 *   read one clock). The first change of each kind loads a session (cold); later ones find it in
 *   the session cache. The p99 is over all samples, cold ones included.
 */
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, oipParam, toPbAssignment, unixClockMs } from "@fulcrum/runtime";
import { quantile } from "@fulcrum/core/stats";
import { startStage, stageConfigSchema, type StageHandle } from "@fulcrum/stage";
import { ensureGeneratedModel, resolveModelDir, resolveVariant, RESNET_DEFAULT_RESOLUTION } from "@fulcrum/zoo";
import { inference } from "@fulcrum/proto";
import { canPin, measure, measureRttFloor, REPO, runBare, serverCpus, startBenchNats, startEchoProcess, startLoad, startLoadClient, startStageProcess, type LoadClient, type LoadOptions } from "./_processes.ts";

const R = RESNET_DEFAULT_RESOLUTION;
const RESNET_TAIL = [3, R, R];
const FASHION_TAIL = [1, 28, 28];
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** FULCRUM_STAGE_* environment of a benchmark replica. */
function stageEnv(natsUrl: string, o: { family: string; variant: string; resolution: number; batch: number; cores: number }): Record<string, string> {
  return {
    NATS_URL: natsUrl,
    FULCRUM_MODEL_DIR: resolveModelDir(process.env, REPO),
    FULCRUM_STAGE_PIPELINE: "bench",
    FULCRUM_STAGE_STAGE: "classifier",
    FULCRUM_STAGE_INSTANCE: "bench-0",
    FULCRUM_STAGE_FAMILY: o.family,
    FULCRUM_STAGE_VARIANT: o.variant,
    FULCRUM_STAGE_RESOLUTION: String(o.resolution),
    FULCRUM_STAGE_BATCH_SIZE: String(o.batch),
    FULCRUM_STAGE_CORES: String(o.cores),
    FULCRUM_STAGE_FOLLOW_ASSIGNMENTS: "false",
  };
}

const load = (tail: readonly number[], o: Partial<LoadOptions> & { warmupS: number; durationS: number }): Omit<LoadOptions, "address" | "cpuPid"> => ({
  model: "classifier",
  input: "input",
  tail,
  ...o,
});

/**
 * ResNet-18 batch ≤ 8 at saturation vs bare session.run at batch 8, both pinned to one CPU. Beside
 * it, the grpc-js echo server answering the same request with the stage's own response at the same
 * concurrency on the same CPU: its CPU per request is what the transport alone costs, so
 * `transportBoundRatio` = bare per-item time ÷ (bare per-item time + echo CPU per request) is the
 * ratio a server doing nothing but grpc-js and inference on that one core could reach, if their
 * CPU costs simply add (an estimate: it leaves out what sharing the core costs each of them).
 */
async function pinnedThroughput(natsUrl: string, durationS: number, repetitions: number, client: LoadClient): Promise<object> {
  const modelPath = resolveVariant({ family: "resnet", variant: "resnet18", resolution: R, modelDir: resolveModelDir(process.env, REPO) }).path;
  const spec = load(RESNET_TAIL, { concurrency: 24, warmupS: 3, durationS });
  const reps = [];
  for (let i = 0; i < repetitions; i++) {
    // Interleaved so slow drifts of a shared machine hit all three alike.
    const bare = await runBare({ modelPath, batchSize: 8, threads: 1, durationS, repetitions: 1 }, serverCpus(1));
    const stage = await startStageProcess(stageEnv(natsUrl, { family: "resnet", variant: "resnet18", resolution: R, batch: 8, cores: 1 }), serverCpus(1));
    let s, response;
    try {
      response = await recordedResponse(stage.port, RESNET_TAIL);
      s = await measure(stage, spec, client);
    } finally {
      await stage.stop();
    }
    const e = await measureEcho(response, spec, client);
    const bareItemMs = 1000 / bare.itemsPerSecond;
    reps.push({
      bareItemsPerSecond: bare.itemsPerSecond, stageRequestsPerSecond: s.rps, ratio: s.rps / bare.itemsPerSecond, failed: s.failed + e.failed, stageLatencyP50Ms: s.latencyP50Ms,
      stageCpuMsPerRequest: s.serverCpuMsPerRequest, echoRequestsPerSecond: e.rps, echoCpuMsPerRequest: e.serverCpuMsPerRequest,
      transportBoundRatio: bareItemMs / (bareItemMs + e.serverCpuMsPerRequest),
    });
  }
  const r = { ratio: median(reps.map((x) => x.ratio)), transportBoundRatio: median(reps.map((x) => x.transportBoundRatio)), reps };
  console.log(
    `pinnedThroughputRatio ${r.ratio.toFixed(3)} (resnet18@${R} batch 8, 1 core pinned; per rep ${reps.map((x) => `${x.stageRequestsPerSecond.toFixed(1)}/${x.bareItemsPerSecond.toFixed(1)}`).join(", ")} req/s stage / items/s bare)`,
  );
  console.log(
    `  transport bound ${r.transportBoundRatio.toFixed(3)} (grpc-js echo of the same request and response on the same CPU: ${median(reps.map((x) => x.echoCpuMsPerRequest)).toFixed(3)} CPU ms per request, ${median(reps.map((x) => x.echoRequestsPerSecond)).toFixed(0)} req/s; bare session.run ${(1000 / median(reps.map((x) => x.bareItemsPerSecond))).toFixed(3)} ms per item; stage ${median(reps.map((x) => x.stageCpuMsPerRequest)).toFixed(3)} CPU ms per request)`,
  );
  return r;
}

/** `spec` against the grpc-js echo server replaying `response` on the stage's CPU (started and stopped here). */
async function measureEcho(response: Uint8Array, spec: Omit<LoadOptions, "address" | "cpuPid">, client: LoadClient | undefined): Promise<Awaited<ReturnType<typeof measure>>> {
  const echo = await startEchoProcess(response, serverCpus(1));
  try {
    return await measure(echo, spec, client);
  } finally {
    await echo.stop();
  }
}

/** The stage's answer to the benchmark request, encoded (what the echo server replays). */
async function recordedResponse(port: number, tail: readonly number[]): Promise<Uint8Array> {
  const probe = new OipClient(`127.0.0.1:${port}`);
  try {
    const answer = await probe.infer(fp32Request("classifier", "input", tail, { params: { slo_ms: oipParam.int(600_000) } }));
    if (!answer.ok) throw new Error(`stage refused the benchmark request: ${answer.code} ${answer.details}`);
    return inference.ModelInferResponse.encode(answer.response!).finish();
  } finally {
    probe.close();
  }
}

/** The stage's lifetime counters of batches and answered requests, from its `/metrics`. */
async function inferenceCounters(metricsPort: number): Promise<{ batches: number; completions: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const read = (name: string): number => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
    if (!m) throw new Error(`stage /metrics has no ${name}`);
    return Number(m[1]);
  };
  return { batches: read("fulcrum_stage_batches_total"), completions: read("fulcrum_stage_completions_total") };
}

/**
 * ResNet-18, batch ≤ 8 allowed, 20 req/s on a fixed schedule vs bare session.run at batch 1. Where
 * the overhead goes, from the same run: the stage's own arrival → result time (its
 * `stage_latency_ms` response parameter), the mean `session.run` per batch inside the stage (its
 * `/metrics`), the echo server at the same rate (the grpc-js transport's own latency for this
 * request and response), and under it raw HTTP/2 and raw TCP round trips of the same sizes at the
 * same rate (`_rtt-floor.ts`): the floor no gRPC server on this machine can go below.
 */
async function lightLoad(natsUrl: string, durationS: number, client?: LoadClient): Promise<{ lightP50Ms: number; lightP99Ms: number; overheadP50Ms: number; details: object }> {
  const modelPath = resolveVariant({ family: "resnet", variant: "resnet18", resolution: R, modelDir: resolveModelDir(process.env, REPO) }).path;
  const bare = await runBare({ modelPath, batchSize: 1, threads: 1, durationS: 3, repetitions: 1 }, serverCpus(1));
  // The same session.run on the same schedule as the load, the core idle in between: what
  // inference alone costs at this rate on this machine (cold caches, an idle vCPU waking up).
  const bareAt20 = await runBare({ modelPath, batchSize: 1, threads: 1, durationS, repetitions: 1, intervalMs: 50 }, serverCpus(1));
  const spec = load(RESNET_TAIL, { rateRps: 20, warmupS: 2, durationS });
  const stage = await startStageProcess(stageEnv(natsUrl, { family: "resnet", variant: "resnet18", resolution: R, batch: 8, cores: 1 }), serverCpus(1));
  let s, response, before, after;
  try {
    response = await recordedResponse(stage.port, RESNET_TAIL);
    before = await inferenceCounters(stage.metricsPort);
    s = await measure(stage, spec, client);
    after = await inferenceCounters(stage.metricsPort);
  } finally {
    await stage.stop();
  }
  const e = await measureEcho(response, spec, client);
  const requestBytes = inference.ModelInferRequest.encode(inference.ModelInferRequest.fromPartial(fp32Request("classifier", "input", RESNET_TAIL, { params: { slo_ms: oipParam.int(600_000) } }))).finish().length;
  const floor = await measureRttFloor({ rateRps: 20, count: 200, requestBytes, responseBytes: response.length }, serverCpus(1));
  const batches = after.batches - before.batches;
  const stageP50Ms = s.reportedStageLatencyP50Ms ?? Number.NaN;
  // Per request, from the responses (window only): session.run of its batch, and the stage's time around it.
  const stageRunP50Ms = s.reportedRunP50Ms ?? Number.NaN;
  const split = {
    transportP50Ms: s.latencyP50Ms - stageP50Ms,
    stageRunP50Ms,
    stageRunP99Ms: s.reportedRunP99Ms ?? Number.NaN,
    stageOutsideRunP50Ms: s.reportedOutsideRunP50Ms ?? Number.NaN,
    stageOutsideRunP99Ms: s.reportedOutsideRunP99Ms ?? Number.NaN,
    stageRunOverBareMs: stageRunP50Ms - bare.runP50Ms,
    bareAt20P50Ms: bareAt20.runP50Ms,
    bareAt20P99Ms: bareAt20.runP99Ms,
    echoP50Ms: e.latencyP50Ms,
    echoP99Ms: e.latencyP99Ms,
    http2P50Ms: floor.http2P50Ms,
    http2P99Ms: floor.http2P99Ms,
    tcpP50Ms: floor.tcpP50Ms,
    tcpP99Ms: floor.tcpP99Ms,
    floorSamples: floor.samples,
    requestBytes,
    responseBytes: response.length,
    reportedStageP50Ms: stageP50Ms,
    reportedStageP99Ms: s.reportedStageLatencyP99Ms ?? Number.NaN,
    // Over the warm-up and the window (the counters cannot be cut at the window's edges).
    meanBatchSize: batches > 0 ? (after.completions - before.completions) / batches : Number.NaN,
  };
  const out = {
    lightP50Ms: s.latencyP50Ms,
    lightP99Ms: s.latencyP99Ms,
    overheadP50Ms: s.latencyP50Ms - bare.runP50Ms,
    details: { rateRps: 20, samples: s.completed, failed: s.failed + e.failed, bareRunP50Ms: bare.runP50Ms, bareRunP99Ms: bare.runP99Ms, batches, split },
  };
  console.log(`lightP50Ms ${out.lightP50Ms.toFixed(2)} (resnet18@${R}, 20 req/s fixed schedule, ${s.completed} requests)`);
  console.log(`lightP99Ms ${out.lightP99Ms.toFixed(2)} (${(out.lightP99Ms / out.lightP50Ms).toFixed(2)} × p50)`);
  console.log(`overheadP50Ms ${out.overheadP50Ms.toFixed(2)} (stage p50 − bare batch-1 session.run p50 ${bare.runP50Ms.toFixed(2)} ms)`);
  console.log(
    `  where it goes (p50 differences, same run): client − stage-reported ${split.transportP50Ms.toFixed(2)} ms (at 20 req/s, ${requestBytes} B → ${response.length} B: grpc-js echo server p50 ${split.echoP50Ms.toFixed(2)}, p99 ${split.echoP99Ms.toFixed(2)} ms; raw HTTP/2 p50 ${floor.http2P50Ms.toFixed(2)}, p99 ${floor.http2P99Ms.toFixed(2)}; raw TCP p50 ${floor.tcpP50Ms.toFixed(2)}, p99 ${floor.tcpP99Ms.toFixed(2)}); stage-reported p50 ${stageP50Ms.toFixed(2)} (p99 ${split.reportedStageP99Ms.toFixed(2)}); session.run in the stage p50 − bare p50 ${split.stageRunOverBareMs.toFixed(2)} ms; mean batch ${split.meanBatchSize.toFixed(2)}`,
  );
  console.log(
    `  inference alone at 20 runs/s (bare session.run, batch 1, same CPU, idle in between): p50 ${bareAt20.runP50Ms.toFixed(2)}, p99 ${bareAt20.runP99Ms.toFixed(2)} ms (${(bareAt20.runP99Ms / bareAt20.runP50Ms).toFixed(2)} × p50); stage-reported (intake → result) p50 ${stageP50Ms.toFixed(2)}, p99 ${split.reportedStageP99Ms.toFixed(2)} ms`,
  );
  console.log(
    `  the stage's time per request (its responses' session_run_ms): session.run of the batch p50 ${split.stageRunP50Ms.toFixed(2)}, p99 ${split.stageRunP99Ms.toFixed(2)} ms; the rest (queueing, hand-offs, copies) p50 ${split.stageOutsideRunP50Ms.toFixed(2)}, p99 ${split.stageOutsideRunP99Ms.toFixed(2)} ms`,
  );
  return out;
}

/** fashion/linear batch ≤ 8 vs the echo server answering the stage's own response, same client and CPUs. */
async function smallModelVsEcho(natsUrl: string, durationS: number, repetitions: number, client: LoadClient): Promise<{ echoRequestsPerSecond: number; smallModelOverEcho: number; details: object }> {
  const spec = load(FASHION_TAIL, { concurrency: 16, warmupS: 2, durationS });
  const reps = [];
  for (let i = 0; i < repetitions; i++) {
    const stage = await startStageProcess(stageEnv(natsUrl, { family: "fashion", variant: "linear", resolution: 28, batch: 8, cores: 1 }), serverCpus(1));
    let response: Uint8Array;
    let s;
    try {
      response = await recordedResponse(stage.port, FASHION_TAIL);
      s = await measure(stage, spec, client);
    } finally {
      await stage.stop();
    }
    const e = await measureEcho(response, spec, client);
    reps.push({ stageRequestsPerSecond: s.rps, echoRequestsPerSecond: e.rps, ratio: s.rps / e.rps, failed: s.failed + e.failed, stageCpuMsPerRequest: s.serverCpuMsPerRequest, echoCpuMsPerRequest: e.serverCpuMsPerRequest });
  }
  const out = { echoRequestsPerSecond: median(reps.map((r) => r.echoRequestsPerSecond)), smallModelOverEcho: median(reps.map((r) => r.ratio)), details: { concurrency: 16, reps } };
  console.log(`echoRequestsPerSecond ${out.echoRequestsPerSecond.toFixed(0)} (bare grpc-js, precomputed response, 1 CPU)`);
  console.log(
    `smallModelOverEcho ${out.smallModelOverEcho.toFixed(3)} (fashion/linear batch ≤ 8, 1 core; per rep ${reps.map((r) => `${r.stageRequestsPerSecond.toFixed(0)}/${r.echoRequestsPerSecond.toFixed(0)}`).join(", ")} req/s; server CPU per request stage ${median(reps.map((r) => r.stageCpuMsPerRequest)).toFixed(3)} ms, echo ${median(reps.map((r) => r.echoCpuMsPerRequest)).toFixed(3)} ms)`,
  );
  return out;
}

interface Target {
  readonly variant: string;
  readonly cores: number;
  readonly batch: number;
}

/** Publishes `target` as Assignment `version` and resolves with published → first batch of it served, ms. */
async function applyAndTime(stage: StageHandle, publish: (t: Target, version: number) => Promise<void>, t: Target, version: number): Promise<number> {
  const publishedAt = unixClockMs();
  await publish(t, version);
  const deadline = publishedAt + 120_000;
  for (;;) {
    const a = stage.server.activations.findLast((x) => x.atMs >= publishedAt && x.variant === t.variant && x.cores === t.cores && x.batchSize === t.batch);
    if (a?.firstBatchDoneMs !== undefined) return a.firstBatchDoneMs - publishedAt;
    if (unixClockMs() > deadline) throw new Error(`assignment v${version} (${JSON.stringify(t)}) not served within 120 s`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** ResNet-50 under continuous load: `changes` Assignments of each kind, published → first batch served. */
async function reconfigUnderLoad(natsUrl: string, changes: number): Promise<object> {
  const logger = createLogger({ service: "bench-stage", level: "warn" });
  const bus = await connectBus({ servers: natsUrl, name: "bench-stage-reconfig", logger });
  const config = stageConfigSchema.parse({
    pipeline: "benchreconfig",
    stage: "classifier",
    instance: "bench-0",
    family: "resnet",
    variant: "resnet50",
    resolution: R,
    batchSize: 8,
    cores: 1,
    modelDir: resolveModelDir(process.env, REPO),
    logLevel: "warn",
  });
  const stage = await startStage(config, { logger, bus });
  // As the optimizer publishes: the KV entry (the version authority) first, then the broadcast.
  const assignmentsKv = await bus.kv(KV_BUCKETS.assignments);
  const publish = async (t: Target, version: number): Promise<void> => {
    const pb = toPbAssignment({ pipeline: config.pipeline, version, policy: "bench", createdAtMs: unixClockMs(), stages: [{ stage: config.stage, variants: [{ variant: t.variant, weight: 1, batch: t.batch, coresPerReplica: t.cores, replicas: 1 }] }] });
    await assignmentsKv.put(kvKeys.assignment(config.pipeline), control.Assignment, pb);
    bus.publish(subjects.assignment(config.pipeline), control.Assignment, pb);
  };
  const client = startLoad({ address: stage.grpcAddress, model: "classifier", input: "input", tail: RESNET_TAIL, concurrency: 16, warmupS: 2, durationS: 3600 });
  const samples: Record<"batch" | "cores" | "variant", number[]> = { batch: [], cores: [], variant: [] };
  let state: Target = { variant: "resnet50", cores: 1, batch: 8 };
  let version = 0;
  try {
    await new Promise((r) => setTimeout(r, 4000)); // client start-up and warm-up
    for (let i = 0; i < changes; i++) {
      const steps: Array<["batch" | "cores" | "variant", Target]> = [
        ["batch", { ...state, batch: state.batch === 8 ? 4 : 8 }],
        ["cores", { ...state, cores: state.cores === 1 ? 2 : 1 }],
        ["variant", { ...state, variant: state.variant === "resnet50" ? "resnet34" : "resnet50" }],
      ];
      for (const [kind, next] of steps) {
        samples[kind].push(await applyAndTime(stage, publish, next, ++version));
        state = next;
        await new Promise((r) => setTimeout(r, 200)); // serve the new configuration a while
      }
    }
  } finally {
    client.stop();
  }
  const served = await client.result;
  await stage.shutdown();
  await bus.drain();
  const p99 = (xs: number[]): number => quantile(xs, 0.99);
  const summary = (xs: number[]) => ({ samples: xs.length, p50Ms: quantile(xs, 0.5), p99Ms: p99(xs), maxMs: Math.max(...xs), firstColdMs: xs[0]! });
  const out = {
    batchP99Ms: p99(samples.batch),
    coresP99Ms: p99(samples.cores),
    variantP99Ms: p99(samples.variant),
    failedRequests: served.failed,
    details: { model: `resnet/resnet50@${R}`, changesPerKind: changes, servedRequests: served.completed, stagePinned: false, batch: summary(samples.batch), cores: summary(samples.cores), variant: summary(samples.variant), samples },
  };
  for (const kind of ["batch", "cores", "variant"] as const) {
    const s = summary(samples[kind]);
    console.log(`reconfig.${kind}P99Ms ${s.p99Ms.toFixed(1)} (${s.samples} changes published → first batch served; p50 ${s.p50Ms.toFixed(1)} ms, first (cold) ${s.firstColdMs.toFixed(1)} ms)`);
  }
  console.log(`reconfig.failedRequests ${served.failed} (of ${served.completed + served.failed} during the changes)`);
  return out;
}

export default async function stageBench(args: string[]): Promise<object> {
  const durationS = Number(args[0] ?? 10);
  const repetitions = Number(args[1] ?? 3);
  const changes = Number(args[2] ?? 24);
  const modelDir = resolveModelDir(process.env, REPO);
  for (const variant of ["resnet18", "resnet34", "resnet50"]) ensureGeneratedModel({ family: "resnet", variant, resolution: R, modelDir });
  if (!canPin) console.warn("taskset or a second CPU is missing: processes run unpinned, so the figures are not resource-honest");
  const nats = await startBenchNats();
  // One client process for the measured runs: its start-up (seconds on a busy machine) is paid once.
  const client = startLoadClient();
  try {
    const pinned = (await pinnedThroughput(nats.url, durationS, repetitions, client)) as { ratio: number };
    const light = await lightLoad(nats.url, Math.max(durationS, 15), client);
    const echo = await smallModelVsEcho(nats.url, durationS, repetitions, client);
    const reconfig = await reconfigUnderLoad(nats.url, changes);
    return {
      durationS,
      repetitions,
      pinned: canPin,
      pinnedThroughputRatio: pinned.ratio,
      lightP50Ms: light.lightP50Ms,
      lightP99Ms: light.lightP99Ms,
      overheadP50Ms: light.overheadP50Ms,
      reconfig,
      smallModelOverEcho: echo.smallModelOverEcho,
      echoRequestsPerSecond: echo.echoRequestsPerSecond,
      details: { pinnedThroughput: pinned, light: light.details, echo: echo.details },
    };
  } finally {
    await client.close();
    await nats.stop();
  }
}
