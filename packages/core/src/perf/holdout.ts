import { PerfModelError } from "./errors.js";
import { fitSpongeLatency, type SpongeFit, type SpongeFitOptions } from "./fit.js";
import { spongeLatencyMs } from "./latency-model.js";
import type { MeasuredLatency } from "./perf-model.js";

/** A held-out point: what was measured and what the fit on the other points predicted. */
export interface HeldOutPoint {
  readonly batch: number;
  readonly cores: number;
  readonly measuredMs: number;
  readonly predictedMs: number;
  /** `100·(predicted − measured)/measured`: negative = under-prediction. */
  readonly errorPct: number;
}

/** Out-of-sample check of Sponge's model on one variant. */
export interface HoldoutResult {
  /** The fit on the points that were not held out. */
  readonly fit: SpongeFit;
  readonly heldOut: readonly HeldOutPoint[];
  /** Median of |errorPct| over the held-out points. */
  readonly medianAbsPctError: number;
  /** Largest under-prediction over the held-out points, % of measured (0 if none). */
  readonly worstUnderPredictionPct: number;
}

/**
 * Holds out every other point of the (batch, cores) grid as a checkerboard, `(i_b + i_c)` odd
 * where `i_b`, `i_c` are the ranks of the point's batch and cores among the measured ones, fits
 * Sponge's model on the rest and predicts the held-out ones. A checkerboard (not every other
 * point in list order) keeps every batch and every core count on both sides: with two core
 * counts, list order would hold out a whole core count and leave `b/c` and `b` inseparable.
 * @throws PerfModelError when fewer than 4 points remain to fit
 */
export function holdoutCheck(points: readonly MeasuredLatency[], fitOptions: SpongeFitOptions = {}): HoldoutResult {
  const batches = [...new Set(points.map((p) => p.batch))].sort((a, b) => a - b);
  const cores = [...new Set(points.map((p) => p.cores))].sort((a, b) => a - b);
  const odd = (p: MeasuredLatency): boolean => (batches.indexOf(p.batch) + cores.indexOf(p.cores)) % 2 === 1;
  const train = points.filter((p) => !odd(p));
  const test = points.filter(odd);
  if (test.length === 0) throw new PerfModelError(`nothing to hold out from ${points.length} points`);
  const fit = fitSpongeLatency(train, fitOptions);
  const heldOut = test.map((p) => {
    const predictedMs = spongeLatencyMs(fit.coefficients, p.batch, p.cores);
    return { batch: p.batch, cores: p.cores, measuredMs: p.latencyMs, predictedMs, errorPct: (100 * (predictedMs - p.latencyMs)) / p.latencyMs };
  });
  const abs = heldOut.map((h) => Math.abs(h.errorPct)).sort((a, b) => a - b);
  const mid = abs.length / 2;
  const medianAbsPctError = abs.length % 2 === 1 ? abs[Math.floor(mid)]! : (abs[mid - 1]! + abs[mid]!) / 2;
  const worstUnderPredictionPct = Math.max(0, ...heldOut.map((h) => -h.errorPct));
  return { fit, heldOut, medianAbsPctError, worstUnderPredictionPct };
}
