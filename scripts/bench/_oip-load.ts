/**
 * Child process of the data-plane benchmarks: OIP load against one address, so the load runs in
 * another process (and on another CPU) than the server.
 *
 * - `_oip-load.ts '<LoadOptions JSON>'`: one run; prints one JSON line {@link LoadResult}. SIGTERM
 *   ends the run early (the report covers the window up to then).
 * - `_oip-load.ts --serve`: runs one {@link LoadOptions} JSON line from stdin at a time and prints
 *   one {@link LoadResult} line for each, so a benchmark of many runs pays the client's start-up
 *   (seconds on a loaded machine) once. Exits when stdin closes, which is also what happens when
 *   the benchmark dies, so the client never outlives it.
 *
 * Closed loop (`concurrency`): each caller sends its next request when the previous one is
 * answered. Open loop (`rateRps`): one request every 1000 / rateRps ms on a fixed schedule, whatever
 * the answers do (light-load latency without the client's own pacing in it). Only requests that
 * start after the warm-up and end before the window closes are counted. Calls carry no gRPC deadline
 * (it would add a timer per call on the server under test); a run that hangs is ended by the
 * caller's guard (`startLoad`, `startLoadClient`). Responses carrying Fulcrum's `stage_latency_ms` parameter (the stage's arrival →
 * result time) also give its p50/p99, which splits a latency into transport and stage; with
 * `session_run_ms` as well, the stage's time splits per request into inference and the rest.
 */
import { createInterface } from "node:readline";
import { credentials, makeGenericClientConstructor, Metadata, type ServiceDefinition, type ServiceError } from "@grpc/grpc-js";
import { GRPCInferenceServiceService, inference } from "@fulcrum/proto";
import { OIP_PARAM } from "@fulcrum/core/oip";
import { fp32Request, oipParam, oipParamValue } from "@fulcrum/runtime";
import { processCpuSeconds, type LoadOptions, type LoadResult } from "./_processes.ts";

type RawClient = {
  modelInfer(r: inference.ModelInferRequest, m: Metadata, cb: (e: ServiceError | null, res?: inference.ModelInferResponse) => void): void;
  close(): void;
};

/** `stopOnSigterm`: SIGTERM, once the window is open, ends it there (single-run mode). */
async function runOnce(args: LoadOptions, stopOnSigterm: boolean): Promise<LoadResult> {
  if ((args.concurrency === undefined) === (args.rateRps === undefined)) throw new Error("_oip-load: give exactly one of concurrency (closed loop) or rateRps (open loop)");
  // Every call sends the same request, so it is serialized once (as load tools such as
  // perf_analyzer pre-generate their payloads): the client's CPU goes to the transport rather than
  // to re-encoding identical bytes.
  const request = inference.ModelInferRequest.fromPartial(fp32Request(args.model, args.input, args.tail, { params: { slo_ms: oipParam.int(600_000) } }));
  const encoded = Buffer.from(inference.ModelInferRequest.encode(request).finish());
  const definition = {
    ...(GRPCInferenceServiceService as unknown as ServiceDefinition),
    modelInfer: { ...GRPCInferenceServiceService.modelInfer, requestSerialize: () => encoded },
  } as unknown as ServiceDefinition;
  const Client = makeGenericClientConstructor(definition, "GRPCInferenceService");
  const channels = Math.max(1, Math.min(args.concurrency ?? 1, 8));
  const clients = Array.from({ length: channels }, () => new Client(args.address, credentials.createInsecure()) as unknown as RawClient);
  const call = (c: RawClient): Promise<{ ok: boolean; code?: number; details?: string; stageMs?: number; runMs?: number }> =>
    new Promise((resolve) =>
      c.modelInfer(request, new Metadata(), (e, res) => {
        if (e) return resolve({ ok: false, code: e.code, details: e.details });
        const stageMs = oipParamValue(res?.parameters[OIP_PARAM.stageLatencyMs]);
        const runMs = oipParamValue(res?.parameters[OIP_PARAM.sessionRunMs]);
        resolve({ ok: true, ...(typeof stageMs === "number" ? { stageMs } : {}), ...(typeof runMs === "number" ? { runMs } : {}) });
      }),
    );

  try {
    // One untimed call per channel so connection set-up is not in anyone's latency.
    await Promise.all(clients.map((c) => call(c)));
    const warmEnd = performance.now() + args.warmupS * 1000;
    let end = warmEnd + args.durationS * 1000;
    // Registered only now: a SIGTERM before the window opens ends the process as usual.
    if (stopOnSigterm) process.once("SIGTERM", () => (end = Math.min(end, performance.now())));
    let completed = 0;
    let failed = 0;
    const latencies: number[] = [];
    const stageLatencies: number[] = [];
    const runs: number[] = [];
    const outsideRuns: number[] = [];
    let firstError: string | undefined;
    let cpuAtWarmEnd: number | undefined;
    let cpuAtEnd: number | undefined;
    const cpuMarks =
      args.cpuPid === undefined
        ? []
        : [
            setTimeout(() => (cpuAtWarmEnd = processCpuSeconds(args.cpuPid!)), args.warmupS * 1000),
            setTimeout(() => (cpuAtEnd = processCpuSeconds(args.cpuPid!)), (args.warmupS + args.durationS) * 1000),
          ];

    const timed = async (c: RawClient): Promise<void> => {
      const t0 = performance.now();
      const r = await call(c);
      const t1 = performance.now();
      if (t0 < warmEnd || t1 > end) return;
      if (r.ok) {
        completed++;
        latencies.push(t1 - t0);
        if (r.stageMs !== undefined) stageLatencies.push(r.stageMs);
        if (r.stageMs !== undefined && r.runMs !== undefined) {
          runs.push(r.runMs);
          outsideRuns.push(r.stageMs - r.runMs);
        }
      } else {
        failed++;
        firstError ??= `${r.code}: ${r.details}`;
      }
    };

    if (args.concurrency !== undefined) {
      await Promise.all(
        Array.from({ length: args.concurrency }, async (_, k) => {
          const c = clients[k % clients.length]!;
          while (performance.now() < end) await timed(c);
        }),
      );
    } else {
      const periodMs = 1000 / args.rateRps!;
      const start = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; ; i++) {
        const at = start + i * periodMs;
        if (at >= end) break;
        const wait = at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        inFlight.push(timed(clients[i % clients.length]!));
      }
      await Promise.all(inFlight);
    }
    for (const t of cpuMarks) clearTimeout(t);
    cpuAtEnd ??= args.cpuPid === undefined ? undefined : processCpuSeconds(args.cpuPid);
    latencies.sort((a, b) => a - b);
    for (const xs of [stageLatencies, runs, outsideRuns]) xs.sort((a, b) => a - b);
    const measuredS = Math.max(0, end - warmEnd) / 1000;
    const at = (xs: readonly number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
    const q = (p: number): number => at(latencies, p);
    return {
      completed,
      failed,
      seconds: measuredS,
      rps: completed / measuredS,
      latencyP50Ms: q(0.5),
      latencyP99Ms: q(0.99),
      serverCpuSeconds: cpuAtWarmEnd !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtWarmEnd : 0,
      ...(stageLatencies.length > 0 ? { reportedStageLatencyP50Ms: at(stageLatencies, 0.5), reportedStageLatencyP99Ms: at(stageLatencies, 0.99) } : {}),
      ...(runs.length > 0
        ? { reportedRunP50Ms: at(runs, 0.5), reportedRunP99Ms: at(runs, 0.99), reportedOutsideRunP50Ms: at(outsideRuns, 0.5), reportedOutsideRunP99Ms: at(outsideRuns, 0.99) }
        : {}),
      ...(firstError !== undefined ? { firstError } : {}),
    };
  } finally {
    for (const c of clients) c.close();
  }
}

if (process.argv[2] === "--serve") {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  // The benchmark is gone (or done) when stdin closes: stop at once, whatever is running.
  lines.once("close", () => process.exit(0));
  for await (const line of lines) {
    if (line.trim() === "") continue;
    process.stdout.write(`${JSON.stringify(await runOnce(JSON.parse(line) as LoadOptions, false))}\n`);
  }
} else {
  // SIGTERM ends the run early (e.g. when a reconfiguration sequence is done): the report covers
  // the window up to now.
  process.stdout.write(`${JSON.stringify(await runOnce(JSON.parse(process.argv[2] ?? "{}") as LoadOptions, true))}\n`);
}
