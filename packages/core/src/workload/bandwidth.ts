import { createRng, normal } from "../rng/index.js";
import { WorkloadOptionsError } from "./errors.js";

/** Options of {@link generateBandwidthTrace}. */
export interface BandwidthTraceOptions {
  /** RNG seed. */
  seed: number;
  /** Length in seconds (one value per second). @default 600 (Sponge's 10-minute 4G log) */
  durationS?: number;
  /** Lowest bandwidth of the trace in MB/s (10^6 bytes per second). @default 0.43 */
  minMBps?: number;
  /** Highest bandwidth of the trace in MB/s. @default 7 */
  maxMBps?: number;
  /** Mean bandwidth in MB/s. @default 3.45 */
  meanMBps?: number;
}

/**
 * A synthetic 4G/LTE bandwidth trace, one value per second in MB/s, shaped like the Ghent bus log
 * Sponge replays (0.43–7 MB/s, mean ≈3.45): a two-state (good/bad coverage) Markov chain with
 * autocorrelated log-bandwidth inside each state, levelled to `meanMBps` and clipped to
 * [minMBps, maxMBps], whose ends it touches.
 * Labelled synthetic: no real LTE log is available offline.
 */
export function generateBandwidthTrace(options: BandwidthTraceOptions): number[] {
  const durationS = options.durationS ?? 600;
  const minMBps = options.minMBps ?? 0.43;
  const maxMBps = options.maxMBps ?? 7;
  const meanMBps = options.meanMBps ?? 3.45;
  if (!(durationS >= 2)) throw new WorkloadOptionsError("durationS", `must be >= 2, got ${durationS}`);
  if (!(minMBps > 0 && maxMBps > minMBps && meanMBps > minMBps && meanMBps < maxMBps)) {
    throw new WorkloadOptionsError("minMBps", `need 0 < minMBps < meanMBps < maxMBps, got ${minMBps}, ${meanMBps}, ${maxMBps}`);
  }
  const rng = createRng(options.seed);
  const goodLog = Math.log(3.6);
  const badLog = Math.log(1.0);
  let good = true;
  let x = 0;
  const logs: number[] = [];
  for (let t = 0; t < durationS; t++) {
    // Coverage is good most of the time (≈92%) with short deep dips, as on the bus log.
    if (rng.next() < (good ? 0.008 : 0.1)) good = !good;
    x = 0.8 * x + 0.15 * normal(rng);
    logs.push((good ? goodLog : badLog) + x);
  }
  // Shift the log level until the clipped trace has the target mean, then pin the extremes so the
  // trace spans the envelope exactly (the real log touches both ends).
  const clip = (v: number): number => Math.min(maxMBps, Math.max(minMBps, v));
  let shift = 0;
  let out: number[] = [];
  for (let iter = 0; iter < 12; iter++) {
    out = logs.map((v) => clip(Math.exp(v + shift)));
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    shift += Math.log(meanMBps / mean);
  }
  let argMax = 0;
  let argMin = 0;
  logs.forEach((v, i) => {
    if (v > (logs[argMax] as number)) argMax = i;
    if (v < (logs[argMin] as number)) argMin = i;
  });
  out[argMax] = maxMBps;
  out[argMin] = minMBps;
  return out;
}

/** Options of {@link serverBudgetsMs}. */
export interface ServerBudgetOptions {
  /** End-to-end latency objective in ms. */
  sloMs: number;
  /** Request payload in bytes (Sponge's YOLO input: 253×400×3 = 303 600). */
  payloadBytes: number;
}

/**
 * Per-second server-side latency budgets from a bandwidth trace, as Sponge derives its dynamic
 * SLOs: `budget = SLO − payload / bandwidth` (the upload time eats into the objective). All requests
 * of a second share its budget. A budget can be ≤ 0 when the upload alone exceeds the SLO; it is
 * returned as is, so callers see the request cannot be served in time.
 */
export function serverBudgetsMs(bandwidthMBps: readonly number[], options: ServerBudgetOptions): number[] {
  if (!(options.sloMs > 0)) throw new WorkloadOptionsError("sloMs", `must be > 0, got ${options.sloMs}`);
  if (!(options.payloadBytes >= 0)) throw new WorkloadOptionsError("payloadBytes", `must be >= 0, got ${options.payloadBytes}`);
  return bandwidthMBps.map((mbps, i) => {
    if (!(mbps > 0)) throw new WorkloadOptionsError("bandwidthMBps", `value ${i} must be > 0, got ${mbps}`);
    // 1 MB/s = 1000 bytes per ms.
    return options.sloMs - options.payloadBytes / (mbps * 1000);
  });
}

/** Repeats (or cuts) a per-second series to `lengthS` values, as Sponge tiles its SLA sequence over the workload. */
export function tileSeries<T>(series: readonly T[], lengthS: number): T[] {
  if (series.length === 0) throw new WorkloadOptionsError("series", "cannot tile an empty series");
  return Array.from({ length: lengthS }, (_, i) => series[i % series.length] as T);
}
