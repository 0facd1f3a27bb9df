import { readFileSync, writeFileSync, createWriteStream } from "node:fs";
import { performance } from "node:perf_hooks";
import { Metadata, status } from "@grpc/grpc-js";
import { inference } from "@fulcrum/proto";
import { createRng } from "@fulcrum/core";
import { classify, formatSummary, RunAccumulator, type NotSentReason, type RunSummary, type SentRequestRecord } from "@fulcrum/core/accounting";
import { parseRateCsv, planArrivals, ratesOf, type RateProfile, type SloSpec } from "@fulcrum/core/workload";
import { ERROR_CODE_METADATA_KEY, fp32Request, grpcChannelCredentials, OipClient, oipParam, oipParamValue, type Logger } from "@fulcrum/runtime";
import type { LoadgenConfig } from "./config.js";
import { uint8Request } from "./uint8-request.js";

/** The result of a run. */
export interface LoadgenReport {
  readonly pipeline: string;
  readonly target: string;
  readonly seed: number;
  /** Seconds of trace replayed. */
  readonly traceSeconds: number;
  readonly planned: number;
  readonly summary: RunSummary;
  readonly startedAt: string;
}

/** A run in progress. */
export interface LoadgenRun {
  /** Resolves when every sent request has its fate (after the trace ends or `stop()`). */
  readonly done: Promise<LoadgenReport>;
  /** Stops sending; requests in flight still get their fate. Idempotent. */
  stop(): void;
}

/** What the composition root (or a test) passes in. */
export interface LoadgenDeps {
  readonly logger: Logger;
  /** Progress callback, once per second of trace. */
  readonly onSecond?: (second: number, sent: number) => void;
}

const STATUS_NAME = Object.fromEntries(Object.entries(status).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k])) as Record<number, string>;

/** The rate profile a configuration describes (reads `traceFile`). */
export function profileOf(config: LoadgenConfig): RateProfile {
  if (config.steps) return { kind: "steps", steps: config.steps };
  if (config.pattern) return { kind: "ipa", pattern: config.pattern, seed: config.seed, scale: config.rateScale };
  if (config.traceFile) return { kind: "series", rps: parseRateCsv(readFileSync(config.traceFile, "utf8")).rps, scale: config.rateScale };
  return { kind: "constant", rps: config.rateRps ?? 0, durationS: config.durationS };
}

/**
 * Replays the configured trace against the gateway over OIP gRPC: Poisson arrivals within each
 * second (seeded), each request with its own `slo_ms`, and records every request's fate. Open
 * loop: a request is sent at its planned time whatever happened to earlier ones; one that cannot
 * be (`maxInFlight` reached, the sender more than `maxSendLagMs` behind the plan, the run stopped)
 * is counted not-sent with that reason, never sent later. Bounded by `maxDurationS`,
 * `maxRequests` and `maxInFlight`; every call has a client deadline (SLO + grace), so the run
 * always ends. Memory does not grow with the requests answered: each fate goes into a
 * {@link RunAccumulator} (about 16 bytes a request for exact quantiles) and, when `recordsFile` is
 * set, to that file; no record or promise is kept per request.
 */
export function startLoadgen(config: LoadgenConfig, deps: LoadgenDeps): LoadgenRun {
  const rates = ratesOf(profileOf(config), config.maxDurationS);
  const slo: SloSpec = config.sloMinMs !== undefined && config.sloMaxMs !== undefined ? { minMs: config.sloMinMs, maxMs: config.sloMaxMs } : { fixedMs: config.sloMs };
  const plan = planArrivals(rates, slo, createRng(config.seed), config.maxRequests);
  const client = new OipClient(config.target, { credentials: grpcChannelCredentials(config) });
  const accumulator = new RunAccumulator();
  const records$ = config.recordsFile ? createWriteStream(config.recordsFile) : undefined;
  const base = config.inputDatatype === "UINT8" ? uint8Request(config.pipeline, config.inputName, config.inputShape, config.seed) : fp32Request(config.pipeline, config.inputName, config.inputShape);
  let stopped = false;
  let inFlight = 0;
  // Counted as decisions are made, apart from the records, so the ledger checks one against the other.
  let sent = 0;
  const notSent: Partial<Record<NotSentReason, number>> = {};
  const skip = (reason: NotSentReason, n = 1): void => {
    notSent[reason] = (notSent[reason] ?? 0) + n;
  };
  let wake: (() => void) | undefined;
  // Set once sending has ended with requests in flight; the last answer calls it.
  let drained: (() => void) | undefined;
  const startedAt = new Date().toISOString();
  /** When the schedule started (after the connection), performance.now() ms. */
  let t0 = 0;
  // The schedule starts once the channel is connected (or could not be within the bound: its calls
  // then fail and are counted), so a connection's setup is not in the first requests' latency.
  // `stop()` ends the wait at once.
  let connectedOrStopped: (() => void) | undefined;
  const connected = new Promise<void>((resolve) => {
    connectedOrStopped = resolve;
    client.raw.waitForReady(Date.now() + config.connectTimeoutMs, (err) => {
      if (err && !stopped) deps.logger.warn({ target: config.target }, `loadgen: not connected to ${config.target} after ${config.connectTimeoutMs} ms (${err.message}); starting the schedule anyway`);
      resolve();
    });
  });

  const send = (p: (typeof plan)[number]): void => {
    const sentMs = performance.now() - t0;
    inFlight++;
    const id = `lg-${config.seed}-${p.seq}`;
    const req = inference.ModelInferRequest.fromPartial({ ...base, id, parameters: { slo_ms: oipParam.double(p.sloMs), request_id: oipParam.str(id) } });
    client.raw.modelInfer(
      req,
      new Metadata(),
      { deadline: Date.now() + p.sloMs + config.graceMs },
      (err, res) => {
        const latencyMs = performance.now() - t0 - sentMs;
        const errorCode = err?.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
        const answer = err ? { ok: false as const, code: STATUS_NAME[err.code] ?? String(err.code), stated: errorCode !== undefined } : { ok: true as const };
        const variant = res ? oipParamValue(res.parameters.variant) : undefined;
        const r: SentRequestRecord = {
          seq: p.seq,
          atMs: p.atMs,
          sentMs,
          sloMs: p.sloMs,
          fate: classify(answer, latencyMs, p.sloMs),
          latencyMs,
          ...(!answer.ok ? { code: answer.code, details: err?.details ?? "", ...(errorCode !== undefined ? { errorCode: String(errorCode) } : {}) } : {}),
          ...(variant !== undefined ? { variant: String(variant) } : {}),
        };
        accumulator.add(r);
        records$?.write(`${JSON.stringify(r)}\n`);
        inFlight--;
        if (inFlight === 0) drained?.();
      },
    );
  };

  const done = (async (): Promise<LoadgenReport> => {
    await connected;
    t0 = performance.now();
    let second = 0;
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i]!;
      const wait = p.atMs - (performance.now() - t0);
      if (wait > 1 && !stopped) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, wait);
        });
        wake = undefined;
      } else if (!stopped) {
        // Due now or overdue (after a stall of this process or its CPU): without a yield the
        // overdue requests would go out in one synchronous burst, and answers arriving meanwhile
        // would be stamped only after it, their latency including this client's own sending.
        // Yielding once per request lets every answer be stamped when it arrives.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (stopped) {
        skip("stopped", plan.length - i);
        break;
      }
      while (second < Math.floor(p.atMs / 1000)) {
        second += 1;
        deps.onSecond?.(second, sent);
      }
      if (performance.now() - t0 - p.atMs > config.maxSendLagMs) skip("behind-schedule");
      else if (inFlight >= config.maxInFlight) skip("in-flight-bound");
      else {
        sent += 1;
        send(p);
      }
    }
    // Wait out the rest of the trace's last second, then every answer.
    if (!stopped) {
      const endMs = rates.length * 1000 - (performance.now() - t0);
      if (endMs > 1) await new Promise<void>((r) => { wake = r; setTimeout(r, endMs); });
    }
    if (inFlight > 0) await new Promise<void>((r) => (drained = r));
    const durationMs = performance.now() - t0;
    client.close();
    await new Promise<void>((r) => (records$ ? records$.end(r) : r()));
    const report: LoadgenReport = {
      pipeline: config.pipeline,
      target: config.target,
      seed: config.seed,
      traceSeconds: rates.length,
      planned: plan.length,
      summary: accumulator.summary({ planned: plan.length, sent, notSent }, durationMs),
      startedAt,
    };
    if (config.reportFile) writeFileSync(config.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    deps.logger.info({ summary: report.summary }, formatSummary(report.summary));
    return report;
  })();

  return {
    done,
    stop() {
      stopped = true;
      connectedOrStopped?.();
      wake?.();
    },
  };
}
