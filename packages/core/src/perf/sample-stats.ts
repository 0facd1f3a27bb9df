import { quantile, sortedQuantile } from "../stats/index.js";
import { PerfModelError } from "./errors.js";


/** Distribution summary of timed batches, ms. */
export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/**
 * p50/p95/p99/mean of a sample of batch latencies. With few samples the upper quantiles are
 * interpolated between the largest values (p99 of 20 samples is nearly the max): `samples` is
 * kept with them so readers can judge.
 */
export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) throw new PerfModelError("cannot summarize zero latency samples");
  for (const x of samplesMs) if (!(x >= 0) || !Number.isFinite(x)) throw new PerfModelError(`latency sample must be a finite number ≥ 0 ms, got ${x}`);
  const s = [...samplesMs].sort((a, b) => a - b);
  return {
    samples: s.length,
    p50Ms: sortedQuantile(s, 0.5),
    p95Ms: sortedQuantile(s, 0.95),
    p99Ms: sortedQuantile(s, 0.99),
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** The profiler's stopping rule. */
export interface StabilityRule {
  /** Never stable before this many samples. */
  readonly minSamples: number;
  /** Compare the median now with the median `window` samples ago. */
  readonly window: number;
  /** Stable when they differ by at most this fraction of the current median. */
  readonly relTol: number;
}

/**
 * True when the median of `samplesMs` has settled: at least `minSamples`, and the median of all
 * samples differs from the median without the last `window` samples by ≤ `relTol` of it. The
 * median, unlike the mean, is not moved by the odd preempted batch on a shared machine.
 */
export function isMedianStable(samplesMs: readonly number[], rule: StabilityRule): boolean {
  if (!(rule.window >= 1) || !(rule.relTol > 0) || !(rule.minSamples >= 1)) {
    throw new PerfModelError(`bad stability rule: minSamples=${rule.minSamples} window=${rule.window} relTol=${rule.relTol}`);
  }
  const n = samplesMs.length;
  if (n < Math.max(rule.minSamples, rule.window + 1)) return false;
  const now = quantile(samplesMs, 0.5);
  const before = quantile(samplesMs.slice(0, n - rule.window), 0.5);
  return Math.abs(now - before) <= rule.relTol * now;
}
