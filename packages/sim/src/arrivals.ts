import type { Rng } from "@fulcrum/core/rng";
import { ExperimentConfigError } from "./errors.js";

/**
 * A stream of request arrivals in time order. Iterator style without a result object per request
 * (the engine pulls millions): call {@link ArrivalSource.next}, then read `timeMs` and `budgetMs`.
 */
export interface ArrivalSource {
  /** Advances to the next arrival; false once the stream is exhausted. */
  next(): boolean;
  /** Arrival time of the current request, ms from the start of the run. */
  readonly timeMs: number;
  /**
   * Latency budget of the current request, ms: its deadline is `timeMs + budgetMs` (the pipeline
   * SLO, or Sponge's per-request budget `SLO − upload time`; may be ≤ 0 for a hopeless request).
   */
  readonly budgetMs: number;
}

/** Options of {@link traceArrivals}. */
export interface TraceArrivalOptions {
  /** Requests per second, one value per second of the run (e.g. a Twitter window). */
  readonly countsPerSecond: readonly number[];
  /**
   * Multiplier of every count (E4 replays the trace ×100). A fractional product is rounded down or
   * up at random with the fraction as probability, so the expected count is exact. @default 1
   */
  readonly scale?: number;
  /** Budget of every request, ms, unless `budgetsMs` is given. */
  readonly sloMs: number;
  /**
   * Per-second budgets (Sponge's dynamic SLO: every request of second t gets `budgetsMs[t]`),
   * tiled when shorter than the run. @default none: every request gets `sloMs`
   */
  readonly budgetsMs?: readonly number[];
  readonly rng: Rng;
}

/**
 * Arrivals from a per-second trace: second t carries exactly `round(count[t]·scale)` requests, at
 * times spread as a Poisson process conditioned on that count (uniform order statistics in
 * [t, t+1) s, drawn as normalised cumulative exponential spacings: O(n), already sorted). The
 * totals therefore match the trace exactly while the within-second spacing is Poisson. Seeded.
 */
export function traceArrivals(options: TraceArrivalOptions): ArrivalSource {
  const counts = options.countsPerSecond;
  const scale = options.scale ?? 1;
  const budgets = options.budgetsMs;
  const rng = options.rng;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new ExperimentConfigError("arrivals", [{ key: "scale", message: `must be a finite number > 0, got ${scale}` }]);
  if (!(options.sloMs > 0)) throw new ExperimentConfigError("arrivals", [{ key: "sloMs", message: `must be > 0 ms, got ${options.sloMs}` }]);
  if (budgets && budgets.length === 0) throw new ExperimentConfigError("arrivals", [{ key: "budgetsMs", message: "must not be empty when given" }]);
  counts.forEach((c, i) => {
    if (!(c >= 0) || !Number.isFinite(c)) throw new ExperimentConfigError("arrivals", [{ key: `countsPerSecond[${i}]`, message: `must be a finite count ≥ 0, got ${c}` }]);
  });
  let second = -1;
  let inSecond = 0;
  let index = 0;
  let spacing = new Float64Array(64);
  const source = {
    timeMs: 0,
    budgetMs: 0,
    next(): boolean {
      while (index >= inSecond) {
        second++;
        if (second >= counts.length) return false;
        const raw = (counts[second] as number) * scale;
        let n = Math.floor(raw);
        if (raw - n > 0 && rng.next() < raw - n) n++;
        inSecond = n;
        index = 0;
        if (n === 0) continue;
        if (spacing.length < n + 1) spacing = new Float64Array(2 * (n + 1));
        let sum = 0;
        for (let k = 0; k <= n; k++) {
          let u = rng.next();
          while (u <= 0) u = rng.next();
          sum -= Math.log(u);
          spacing[k] = sum;
        }
        const perMs = 1000 / sum;
        for (let k = 0; k < n; k++) spacing[k] = second * 1000 + (spacing[k] as number) * perMs;
        source.budgetMs = budgets ? (budgets[second % budgets.length] as number) : options.sloMs;
      }
      source.timeMs = spacing[index++] as number;
      return true;
    },
  };
  return source;
}

/** Arrivals given one by one (tests, hand-computed scenarios). Must be in non-decreasing time order. */
export function explicitArrivals(list: readonly { readonly timeMs: number; readonly budgetMs: number }[]): ArrivalSource {
  list.forEach((a, i) => {
    if (!Number.isFinite(a.timeMs) || a.timeMs < 0 || (i > 0 && a.timeMs < list[i - 1]!.timeMs)) {
      throw new ExperimentConfigError("arrivals", [{ key: `[${i}].timeMs`, message: `must be finite, ≥ 0 and not before the previous arrival, got ${a.timeMs}` }]);
    }
  });
  let i = 0;
  const source = {
    timeMs: 0,
    budgetMs: 0,
    next(): boolean {
      const a = list[i++];
      if (!a) return false;
      source.timeMs = a.timeMs;
      source.budgetMs = a.budgetMs;
      return true;
    },
  };
  return source;
}
