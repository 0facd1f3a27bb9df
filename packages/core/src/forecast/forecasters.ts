import { ForecastConfigError } from "./errors.js";

/**
 * A point forecaster of the next interval's peak load. Pure: the forecast is a function of the
 * bin-peak history alone, so the live predictor, the simulator and the benchmark agree.
 */
export interface Forecaster {
  /** Stable name, used in Forecast messages, error tracking and reports. */
  readonly name: string;
  /** Bins of history `predict` needs; the predictor does not call it with fewer. */
  readonly minHistoryBins: number;
  /**
   * Forecast of the peak RPS over the next `horizonBins` bins.
   * @param history bin peaks in RPS, oldest first, at least `minHistoryBins` long
   * @param means the same bins' mean RPS (aligned with `history`), for forecasters that use it
   */
  predict(history: readonly number[], horizonBins: number, means?: readonly number[]): number;
}

function positiveInt(option: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new ForecastConfigError(option, `must be an integer >= 1, got ${v}`);
  return v;
}

function unitInterval(option: string, v: number): number {
  if (!(v > 0 && v <= 1)) throw new ForecastConfigError(option, `must be in (0, 1], got ${v}`);
  return v;
}

/** Reactive: the last bin's peak (IPA's `reactive`). */
export function lastValueForecaster(): Forecaster {
  return { name: "last-value", minHistoryBins: 1, predict: (h) => h[h.length - 1] as number };
}

/**
 * Max of the last `windowBins` bin peaks (IPA's `max` backup predictor).
 * @param windowBins @default 12 (two minutes of 10-second bins)
 */
export function movingMaxForecaster(windowBins = 12): Forecaster {
  positiveInt("windowBins", windowBins);
  return {
    name: "moving-max",
    minHistoryBins: 1,
    predict(h) {
      let peak = -Infinity;
      for (let k = Math.max(0, h.length - windowBins); k < h.length; k++) peak = Math.max(peak, h[k] as number);
      return peak;
    },
  };
}

/**
 * Exponentially weighted moving average of the bin peaks with `alpha = 2 / (span + 1)`, computed
 * over the last `lookbackBins` (InfAdapter's fallback uses span 10).
 */
export function ewmaForecaster(span = 10, lookbackBins = 60): Forecaster {
  if (!(span >= 1)) throw new ForecastConfigError("span", `must be >= 1, got ${span}`);
  positiveInt("lookbackBins", lookbackBins);
  const alpha = 2 / (span + 1);
  return {
    name: "ewma",
    minHistoryBins: 1,
    predict(h) {
      const from = Math.max(0, h.length - lookbackBins);
      let level = h[from] as number;
      for (let k = from + 1; k < h.length; k++) level += alpha * ((h[k] as number) - level);
      return level;
    },
  };
}

/**
 * Holt's linear trend (double exponential smoothing) over the last `lookbackBins`; the forecast is
 * the highest of the next `horizonBins` trend points, floored at 0.
 */
export function holtForecaster(alpha = 0.5, beta = 0.1, lookbackBins = 60): Forecaster {
  unitInterval("alpha", alpha);
  unitInterval("beta", beta);
  positiveInt("lookbackBins", lookbackBins);
  return {
    name: "holt",
    minHistoryBins: 2,
    predict(h, horizonBins) {
      const from = Math.max(0, h.length - lookbackBins);
      let level = h[from] as number;
      let trend = (h[from + 1] as number) - level;
      for (let k = from + 1; k < h.length; k++) {
        const previous = level;
        level = alpha * (h[k] as number) + (1 - alpha) * (level + trend);
        trend = beta * (level - previous) + (1 - beta) * trend;
      }
      return Math.max(0, level + trend * (trend > 0 ? horizonBins : 1));
    },
  };
}

/**
 * Seasonal naive: the peak of the same bins one season earlier (the bins `seasonBins` before the
 * horizon), e.g. yesterday at this time with `seasonBins = 8640` for 10-second bins.
 */
export function seasonalNaiveForecaster(seasonBins: number): Forecaster {
  positiveInt("seasonBins", seasonBins);
  return {
    name: "seasonal-naive",
    minHistoryBins: seasonBins,
    predict(h, horizonBins) {
      const from = h.length - seasonBins;
      let peak = -Infinity;
      for (let k = from; k < Math.min(h.length, from + horizonBins); k++) peak = Math.max(peak, h[k] as number);
      return peak;
    },
  };
}
