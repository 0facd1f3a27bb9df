import { ForecastConfigError } from "./errors.js";

/** How the upper bound above a point forecast is sized. */
export interface MarginOptions {
  /**
   * Largest fraction of intervals whose actual peak may exceed the upper bound (α). The margin is
   * the conformal (1 − α) quantile of recent relative residuals. @default 0.05
   */
  underPredictionRate?: number;
  /** Residuals needed before the conformal margin is used. @default 30 */
  minResiduals?: number;
  /** Relative margin used until `minResiduals` residuals exist (IPA uses 0.2 for audio/NLP). @default 0.2 */
  defaultFraction?: number;
}

/** {@link MarginOptions} with defaults applied and checked. */
export type CompiledMarginOptions = Required<MarginOptions>;

/** Applies defaults and validates {@link MarginOptions}. */
export function compileMarginOptions(options: MarginOptions = {}): CompiledMarginOptions {
  const o = { underPredictionRate: 0.05, minResiduals: 30, defaultFraction: 0.2, ...options };
  if (!(o.underPredictionRate > 0 && o.underPredictionRate < 1)) {
    throw new ForecastConfigError("underPredictionRate", `must be in (0, 1), got ${o.underPredictionRate}`);
  }
  if (!(Number.isInteger(o.minResiduals) && o.minResiduals >= 1)) {
    throw new ForecastConfigError("minResiduals", `must be an integer >= 1, got ${o.minResiduals}`);
  }
  if (!(o.defaultFraction >= 0)) throw new ForecastConfigError("defaultFraction", `must be >= 0, got ${o.defaultFraction}`);
  return o;
}

/** Point forecasts below this (RPS) are treated as this when residuals are made relative, so idle periods stay finite. */
export const RESIDUAL_FLOOR_RPS = 1;

/**
 * Relative residual of a forecast: (actual − point) / max(point, 1 RPS). Positive means the load
 * came in above the forecast. `point + r · max(point, 1)` recovers the actual.
 */
export function relativeResidual(actualRps: number, pointRps: number): number {
  return (actualRps - pointRps) / Math.max(pointRps, RESIDUAL_FLOOR_RPS);
}

/**
 * Split-conformal quantile: the ⌈(n + 1)(1 − α)⌉-th smallest of n residuals, which bounds the
 * next residual with probability ≥ 1 − α when residuals are exchangeable. When that rank exceeds n
 * (too few residuals for the requested α) the largest residual is used.
 */
export function conformalQuantile(residuals: readonly number[], alpha: number): number {
  if (residuals.length === 0) throw new ForecastConfigError("residuals", "need at least one residual");
  const sorted = [...residuals].sort((a, b) => a - b);
  const rank = Math.ceil((sorted.length + 1) * (1 - alpha));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Upper bound of a forecast from the forecaster's recent relative residuals. Never below the
 * point: a forecaster that over-predicts keeps its point as the bound.
 */
export function upperBound(pointRps: number, recentResiduals: readonly number[], options: CompiledMarginOptions): number {
  const fraction =
    recentResiduals.length >= options.minResiduals
      ? Math.max(0, conformalQuantile(recentResiduals, options.underPredictionRate))
      : options.defaultFraction;
  return pointRps + fraction * Math.max(pointRps, RESIDUAL_FLOOR_RPS);
}
