import { isMedianStable, summarizeLatencies, type ProfilePoint, type StabilityRule } from "@fulcrum/core/perf";
import type { InferencePool, TensorData } from "@fulcrum/inference";
import { copyInputs } from "./inputs.js";

/** When to stop timing one (variant, batch, cores) point. */
export interface PointBudget extends StabilityRule {
  /** Stop after this many samples even if the median still moves. */
  readonly maxSamples: number;
  /** Stop after this much timing of the point, s (at least 3 samples are always taken). */
  readonly maxSeconds: number;
  /** A stable median ends the point only after this much timing of it, s. @default 0 */
  readonly minSeconds?: number;
  /**
   * Timing of one point per turn before the next point takes over, s: points of one session are
   * measured in turns so that a load change on a shared machine hits all batch sizes alike
   * instead of skewing whichever point was running. @default 0.2
   */
  readonly sliceSeconds?: number;
}

/** A batch of a session to time: its size and one set of inputs (copied for every run). */
export interface PointInputs {
  readonly batch: number;
  readonly inputs: Readonly<Record<string, TensorData>>;
}

/** What {@link measurePoints} measured for one batch size. */
export type MeasuredPoint = Omit<ProfilePoint, "cores">;

/** Samples taken even when one batch outlasts the time cap: a quantile needs more than one. */
const MIN_TIMED_SAMPLES = 3;

/** Microsecond resolution is below the timer's noise; more digits only bloat the profile. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000;

interface PointState {
  readonly batch: number;
  readonly inputs: Readonly<Record<string, TensorData>>;
  readonly totals: number[];
  readonly runs: number[];
  timedS: number;
  stable: boolean;
  done: boolean;
}

/**
 * Times batches on the pool's session `sessionKey`, one in flight at a time (as the stage runs
 * them), taking turns of `sliceSeconds` between the points. Each point ends on its own when its
 * median is stable (and `minSeconds` of it were timed), at `maxSamples`, or at its time cap. A
 * sample is `totalMs`: submit-to-result on this thread, so the worker hop and transfers (the
 * serving overhead) are in; `runP50Ms` is `session.run` alone.
 * @param onPointDone called as each point finishes (progress)
 */
export async function measurePoints(
  pool: InferencePool,
  sessionKey: string,
  points: readonly PointInputs[],
  budget: PointBudget,
  onPointDone: (batch: number) => void = () => undefined,
  clock: () => number = () => performance.now(),
): Promise<MeasuredPoint[]> {
  const sliceS = budget.sliceSeconds ?? 0.2;
  const states: PointState[] = points.map((p) => ({ batch: p.batch, inputs: p.inputs, totals: [], runs: [], timedS: 0, stable: false, done: false }));
  while (states.some((s) => !s.done)) {
    for (const s of states) {
      if (s.done) continue;
      const sliceStart = clock();
      do {
        const r = await pool.run(copyInputs(s.inputs), { sessionKey });
        s.totals.push(r.totalMs);
        s.runs.push(r.runMs);
        const timedS = s.timedS + (clock() - sliceStart) / 1000;
        s.stable = isMedianStable(s.totals, budget);
        s.done =
          (s.stable && timedS >= (budget.minSeconds ?? 0)) ||
          s.totals.length >= budget.maxSamples ||
          (timedS >= budget.maxSeconds && s.totals.length >= MIN_TIMED_SAMPLES);
      } while (!s.done && (clock() - sliceStart) / 1000 < sliceS);
      s.timedS += (clock() - sliceStart) / 1000;
      if (s.done) onPointDone(s.batch);
    }
  }
  return states.map((s) => {
    const t = summarizeLatencies(s.totals);
    return {
      batch: s.batch,
      samples: t.samples,
      p50Ms: round(t.p50Ms),
      p95Ms: round(t.p95Ms),
      p99Ms: round(t.p99Ms),
      meanMs: round(t.meanMs),
      runP50Ms: round(summarizeLatencies(s.runs).p50Ms),
      stable: s.stable,
      seconds: round(s.timedS),
    };
  });
}
