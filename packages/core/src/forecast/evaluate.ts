import { absolutePercentageError } from "./error-tracker.js";
import type { Forecaster } from "./forecasters.js";
import type { CompiledMarginOptions } from "./margin.js";
import { RESIDUAL_FLOOR_RPS, relativeResidual, upperBound } from "./margin.js";
import { futurePeak } from "./windowing.js";

/** Forecast quality of one forecaster over an evaluation span. */
export interface ForecastScore {
  /** Mean absolute percentage error of the point forecast (actual floored at 1 RPS). */
  mape: number;
  /** Fraction of intervals whose actual peak exceeded the upper bound (point + conformal margin). */
  underPredictionRate: number;
  /** Fraction of intervals whose actual peak exceeded the point forecast itself. */
  pointUnderPredictionRate: number;
  /** Mean of (upper − point) / max(point, 1 RPS): what the margin costs in over-provisioning. */
  meanMarginFraction: number;
  /** Intervals scored. */
  intervals: number;
}

/** Options of {@link evaluateForecasters}. */
export interface EvaluateOptions {
  /** Bins each forecast covers. */
  horizonBins: number;
  /** First bin whose forecast is scored (earlier bins are history only). */
  fromBin: number;
  /** Forecast every `strideBins` bins. @default 1 */
  strideBins?: number;
  /** Residuals kept per forecaster for the margin (a rolling window, as live). @default 360 */
  errorWindow?: number;
  margin: CompiledMarginOptions;
  /** Per-bin mean RPS aligned with the peaks, for forecasters that read them (the LSTM with a "mean" feature). */
  means?: readonly number[];
  /** Bins of history passed to each forecaster (at least its `minHistoryBins`). */
  historyBins: number;
}

/**
 * Replays bin peaks through each forecaster as the live predictor would: at every scored bin t the
 * forecaster sees peaks[.. t) and forecasts the peak of [t, t + horizonBins); its upper bound uses
 * only residuals of forecasts already resolved by then (no look-ahead).
 */
export function evaluateForecasters(
  peaks: readonly number[],
  forecasters: readonly Forecaster[],
  options: EvaluateOptions,
): Record<string, ForecastScore> {
  const stride = options.strideBins ?? 1;
  const errorWindow = options.errorWindow ?? 360;
  const out: Record<string, ForecastScore> = {};
  for (const f of forecasters) {
    const residuals: number[] = [];
    const waiting: Array<{ resolvesAt: number; residual: number }> = [];
    let ape = 0;
    let under = 0;
    let pointUnder = 0;
    let marginSum = 0;
    let n = 0;
    const historyBins = Math.max(f.minHistoryBins, options.historyBins);
    for (let t = Math.max(options.fromBin, f.minHistoryBins); t + options.horizonBins <= peaks.length; t += stride) {
      while (waiting.length > 0 && (waiting[0] as { resolvesAt: number }).resolvesAt <= t) {
        residuals.push((waiting.shift() as { residual: number }).residual);
        if (residuals.length > errorWindow) residuals.shift();
      }
      const from = Math.max(0, t - historyBins);
      const history = peaks.slice(from, t);
      const point = Math.max(0, f.predict(history, options.horizonBins, options.means?.slice(from, t)));
      const upper = upperBound(point, residuals, options.margin);
      const actual = futurePeak(peaks, t, options.horizonBins);
      ape += absolutePercentageError(actual, point);
      if (actual > upper) under++;
      if (actual > point) pointUnder++;
      marginSum += (upper - point) / Math.max(point, RESIDUAL_FLOOR_RPS);
      n++;
      waiting.push({ resolvesAt: t + options.horizonBins, residual: relativeResidual(actual, point) });
    }
    out[f.name] = {
      mape: n > 0 ? ape / n : NaN,
      underPredictionRate: n > 0 ? under / n : NaN,
      pointUnderPredictionRate: n > 0 ? pointUnder / n : NaN,
      meanMarginFraction: n > 0 ? marginSum / n : NaN,
      intervals: n,
    };
  }
  return out;
}
