import { relativeResidual } from "./margin.js";

/** Rolling forecast errors of one forecaster: the most recent resolved intervals, oldest first. */
export interface ForecasterErrors {
  /** Absolute percentage errors |actual − point| / max(actual, 1). */
  ape: number[];
  /** Relative residuals (see `relativeResidual`), used for the margin. */
  residuals: number[];
}

/** Rolling errors per forecaster name. Plain data: JSON-serializable and copied, never mutated. */
export type ErrorTable = Readonly<Record<string, ForecasterErrors>>;

/** Absolute percentage error with the actual floored at 1 RPS (a forecast of idle time is not infinitely wrong). */
export function absolutePercentageError(actualRps: number, pointRps: number): number {
  return Math.abs(actualRps - pointRps) / Math.max(actualRps, 1);
}

/** Records one resolved forecast, keeping only the last `windowSize` errors. */
export function recordError(table: ErrorTable, name: string, actualRps: number, pointRps: number, windowSize: number): ErrorTable {
  const previous = table[name] ?? { ape: [], residuals: [] };
  const keep = <T>(xs: T[], x: T): T[] => [...xs.slice(Math.max(0, xs.length + 1 - windowSize)), x];
  return {
    ...table,
    [name]: {
      ape: keep(previous.ape, absolutePercentageError(actualRps, pointRps)),
      residuals: keep(previous.residuals, relativeResidual(actualRps, pointRps)),
    },
  };
}

/** Mean absolute percentage error over the rolling window, or undefined with no resolved forecasts. */
export function rollingMape(errors: ForecasterErrors | undefined): number | undefined {
  if (!errors || errors.ape.length === 0) return undefined;
  return errors.ape.reduce((a, b) => a + b, 0) / errors.ape.length;
}

/**
 * The candidate with the lowest rolling MAPE among those with at least `minErrors` resolved
 * forecasts; undefined when none has enough. Ties keep the earlier candidate.
 */
export function bestForecaster(table: ErrorTable, candidates: readonly string[], minErrors: number): string | undefined {
  let best: { name: string; mape: number } | undefined;
  for (const name of candidates) {
    const errors = table[name];
    if (!errors || errors.ape.length < minErrors) continue;
    const mape = rollingMape(errors) as number;
    if (best === undefined || mape < best.mape) best = { name, mape };
  }
  return best?.name;
}
