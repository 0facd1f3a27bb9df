import { isMedianStable, summarizeLatencies, type ProfilePoint, type StabilityRule } from "@fulcrum/core/perf";
import type { InferencePool, TensorData } from "@fulcrum/stage";
import { copyInputs } from "./inputs.js";

/** When to stop timing one (variant, batch, cores) point. */
export interface PointBudget extends StabilityRule {
  /** Stop after this many samples even if the median still moves. */
  readonly maxSamples: number;
  /** Stop after this much timing, s (at least `minTimedSamples` are always taken). */
  readonly maxSeconds: number;
}

/** Microsecond resolution is below the timer's noise; more digits only bloat the profile. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Samples taken even when one batch outlasts the time cap: a quantile needs more than one. */
const MIN_TIMED_SAMPLES = 3;

/**
 * Times batches of `inputs` on the pool's session `sessionKey`, one at a time (as the stage runs
 * them), until the median is stable, `maxSamples` or the time cap. A sample is `totalMs`:
 * submit-to-result on this thread, so the worker hop and transfers (the serving overhead) are in.
 */
export async function measurePoint(
  pool: InferencePool,
  sessionKey: string,
  inputs: Readonly<Record<string, TensorData>>,
  budget: PointBudget,
  clock: () => number = () => performance.now(),
): Promise<Omit<ProfilePoint, "batch" | "cores">> {
  const totals: number[] = [];
  const runs: number[] = [];
  const started = clock();
  let stable: boolean;
  for (;;) {
    const r = await pool.run(copyInputs(inputs), { sessionKey });
    totals.push(r.totalMs);
    runs.push(r.runMs);
    stable = isMedianStable(totals, budget);
    const elapsedS = (clock() - started) / 1000;
    if (stable || totals.length >= budget.maxSamples || (elapsedS >= budget.maxSeconds && totals.length >= MIN_TIMED_SAMPLES)) break;
  }
  const s = summarizeLatencies(totals);
  return {
    samples: s.samples,
    p50Ms: round(s.p50Ms),
    p95Ms: round(s.p95Ms),
    p99Ms: round(s.p99Ms),
    meanMs: round(s.meanMs),
    runP50Ms: round(summarizeLatencies(runs).p50Ms),
    stable,
    seconds: round((clock() - started) / 1000),
  };
}
