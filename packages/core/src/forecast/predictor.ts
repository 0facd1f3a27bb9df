import { ForecastConfigError } from "./errors.js";
import type { ErrorTable } from "./error-tracker.js";
import { bestForecaster, recordError, rollingMape } from "./error-tracker.js";
import type { Forecaster } from "./forecasters.js";
import { ewmaForecaster, holtForecaster, lastValueForecaster, movingMaxForecaster, seasonalNaiveForecaster } from "./forecasters.js";
import type { LstmWeights } from "./lstm.js";
import { lstmForecaster } from "./lstm.js";
import type { CompiledMarginOptions, MarginOptions } from "./margin.js";
import { compileMarginOptions, upperBound } from "./margin.js";
import { secondsToBins } from "./windowing.js";

/** Options of the predictor's decision logic; see {@link compilePredictorConfig}. */
export interface PredictorOptions {
  /** Seconds per history bin; each bin keeps the peak per-second RPS seen in it. @default 10 */
  binS?: number;
  /** Span the forecast peak covers, in seconds (a multiple of `binS`). @default 20 */
  horizonS?: number;
  /** A trained LSTM; adds the "lstm" forecaster. Its `binS`/`horizonBins` must match. */
  lstm?: LstmWeights;
  /** Season of the seasonal-naive forecaster in seconds (e.g. 86 400); omit to leave it out. */
  seasonS?: number;
  /**
   * "best" serves the forecaster with the lowest rolling MAPE (once `minErrorsForSelection`
   * forecasts resolved), else `preferred`; a forecaster name always serves that one when it has
   * enough history. @default "best"
   */
  serve?: "best" | string;
  /** Served while no forecaster has enough resolved errors. @default "lstm" when given, else "ewma" */
  preferred?: string;
  /** Resolved forecasts kept per forecaster for rolling error and margin. @default 360 (1 h of 10-s bins) */
  errorWindow?: number;
  /** Resolved forecasts a forecaster needs before "best" may pick it. @default 30 */
  minErrorsForSelection?: number;
  /** Bins of a data gap bridged by repeating the last peak; a longer gap resets history. @default 3 */
  maxGapBins?: number;
  /** Upper-bound sizing. */
  margin?: MarginOptions;
}

/** Normalized {@link PredictorOptions}: the forecaster set is built, every default applied. */
export interface PredictorConfig {
  binS: number;
  horizonS: number;
  horizonBins: number;
  /** Candidate forecasters, in preference order for ties. */
  forecasters: readonly Forecaster[];
  /** Reactive fallback while history is too short (last bin's peak). */
  fallback: Forecaster;
  serve: string;
  preferred: string;
  errorWindow: number;
  minErrorsForSelection: number;
  maxGapBins: number;
  /** History kept (bins): what the hungriest forecaster needs. */
  historyBins: number;
  margin: CompiledMarginOptions;
}

/** Builds and validates the predictor config once; the step function trusts it. */
export function compilePredictorConfig(options: PredictorOptions = {}): PredictorConfig {
  const binS = options.binS ?? 10;
  if (!(Number.isInteger(binS) && binS >= 1)) throw new ForecastConfigError("binS", `must be an integer >= 1, got ${binS}`);
  const horizonS = options.horizonS ?? 20;
  const horizonBins = secondsToBins("horizonS", horizonS, binS);
  const forecasters: Forecaster[] = [lastValueForecaster(), movingMaxForecaster(12), ewmaForecaster(10), holtForecaster()];
  if (options.seasonS !== undefined) forecasters.push(seasonalNaiveForecaster(secondsToBins("seasonS", options.seasonS, binS)));
  if (options.lstm) {
    if (options.lstm.binS !== binS) throw new ForecastConfigError("lstm", `was trained on ${options.lstm.binS}-s bins, predictor uses binS=${binS}`);
    if (options.lstm.horizonBins !== horizonBins) {
      throw new ForecastConfigError("lstm", `forecasts ${options.lstm.horizonBins} bins ahead, predictor horizon is ${horizonBins} bins`);
    }
    forecasters.push(lstmForecaster(options.lstm));
  }
  const names = forecasters.map((f) => f.name);
  const serve = options.serve ?? "best";
  if (serve !== "best" && !names.includes(serve)) throw new ForecastConfigError("serve", `unknown forecaster "${serve}" (have ${names.join(", ")})`);
  const preferred = options.preferred ?? (options.lstm ? "lstm" : "ewma");
  if (!names.includes(preferred)) throw new ForecastConfigError("preferred", `unknown forecaster "${preferred}" (have ${names.join(", ")})`);
  const errorWindow = options.errorWindow ?? 360;
  const minErrorsForSelection = options.minErrorsForSelection ?? 30;
  const maxGapBins = options.maxGapBins ?? 3;
  for (const [key, v] of [["errorWindow", errorWindow], ["minErrorsForSelection", minErrorsForSelection]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ForecastConfigError(key, `must be an integer >= 1, got ${v}`);
  }
  if (!(Number.isInteger(maxGapBins) && maxGapBins >= 0)) throw new ForecastConfigError("maxGapBins", `must be an integer >= 0, got ${maxGapBins}`);
  return {
    binS,
    horizonS,
    horizonBins,
    forecasters,
    fallback: lastValueForecaster(),
    serve,
    preferred,
    errorWindow,
    minErrorsForSelection,
    maxGapBins,
    historyBins: Math.max(...forecasters.map((f) => f.minHistoryBins)) + horizonBins,
    margin: compileMarginOptions(options.margin),
  };
}

/** Forecasts made at one tick, waiting for their target bins to close. */
export interface PendingForecast {
  /** First bin of the target span; the span is [targetStartBin, targetStartBin + horizonBins). */
  targetStartBin: number;
  /** Point forecast per forecaster name (RPS). */
  pointsRps: Record<string, number>;
}

/** The predictor's whole memory. Plain data: serializable, never mutated by {@link predictorStep}. */
export interface PredictorState {
  /** The bin being filled: index = floor(atMs / (binS · 1000)), its peak, sum and sample count so far. */
  openBin?: { index: number; peakRps: number; sumRps: number; samples: number };
  /** Peaks of closed bins, oldest first; the last one is bin `lastClosedBin`. */
  history: number[];
  /** Mean RPS of the same closed bins (mean over the samples received). */
  historyMeans: number[];
  lastClosedBin?: number;
  pending: PendingForecast[];
  errors: ErrorTable;
}

/** An input of {@link predictorStep}. */
export type PredictorEvent =
  /** Arrivals counted in the second starting at `atMs` (Unix ms). */
  | { kind: "sample"; atMs: number; rps: number }
  /**
   * Time to publish a forecast. `externalPointsRps` overrides a forecaster's point by name, so
   * an adapter can run the LSTM in ONNX Runtime (feed it {@link predictorWindow}) and pass it in.
   */
  | { kind: "tick"; externalPointsRps?: Readonly<Record<string, number>> };

/** What the predictor publishes each interval. */
export interface Forecast {
  /** When it was made (Unix ms). */
  atMs: number;
  /** Span the peak covers, from the end of the last closed bin (seconds). */
  horizonS: number;
  /** Point forecast of the peak per-second RPS over the horizon. */
  pointRps: number;
  /** Upper bound: the actual peak exceeds it in at most `margin.underPredictionRate` of intervals. */
  upperRps: number;
  /** Forecaster that produced `pointRps` ("reactive" for the too-little-history fallback). */
  model: string;
  /** True when history was too short for the chosen forecaster. */
  fallback: boolean;
  /** Rolling MAPE of `model` when known. */
  rollingMape?: number;
  /** Point forecast of every forecaster that had enough history, for dashboards and reports. */
  pointsRps: Record<string, number>;
}

/** The empty state a predictor starts from. */
export function initialPredictorState(): PredictorState {
  return { history: [], historyMeans: [], pending: [], errors: {} };
}

/**
 * The last `bins` closed bins' peaks and means (oldest first), or undefined with less history: the
 * LSTM's input window, for an adapter that runs the model in ONNX Runtime.
 */
export function predictorWindow(state: PredictorState, bins: number): { peaks: number[]; means: number[] } | undefined {
  if (state.history.length < bins) return undefined;
  return { peaks: state.history.slice(state.history.length - bins), means: state.historyMeans.slice(state.historyMeans.length - bins) };
}

function closeBins(state: PredictorState, upTo: number, config: PredictorConfig): PredictorState {
  const open = state.openBin;
  if (!open || open.index >= upTo) return state;
  const gap = upTo - open.index - 1;
  if (gap > config.maxGapBins) {
    // A long outage: old history no longer describes "just before now"; start over.
    return { ...initialPredictorState(), errors: state.errors };
  }
  const mean = open.samples > 0 ? open.sumRps / open.samples : 0;
  let history = [...state.history, ...new Array<number>(gap + 1).fill(open.peakRps)];
  let historyMeans = [...state.historyMeans, ...new Array<number>(gap + 1).fill(mean)];
  if (history.length > config.historyBins) {
    history = history.slice(history.length - config.historyBins);
    historyMeans = historyMeans.slice(historyMeans.length - config.historyBins);
  }
  const lastClosedBin = open.index + gap;
  let errors = state.errors;
  const pending: PendingForecast[] = [];
  for (const p of state.pending) {
    const lastTargetBin = p.targetStartBin + config.horizonBins - 1;
    if (lastTargetBin > lastClosedBin) {
      pending.push(p);
      continue;
    }
    const from = history.length - 1 - (lastClosedBin - p.targetStartBin);
    if (from < 0) continue;
    const actual = Math.max(...history.slice(from, from + config.horizonBins));
    for (const [name, point] of Object.entries(p.pointsRps)) errors = recordError(errors, name, actual, point, config.errorWindow);
  }
  return { history, historyMeans, lastClosedBin, pending, errors };
}

function chooseModel(state: PredictorState, available: readonly string[], config: PredictorConfig): string | undefined {
  if (config.serve !== "best") return available.includes(config.serve) ? config.serve : undefined;
  return bestForecaster(state.errors, available, config.minErrorsForSelection) ?? (available.includes(config.preferred) ? config.preferred : undefined);
}

/**
 * The predictor's decision logic as a pure step: feed it every per-second load sample and a tick
 * each interval; a tick returns the forecast to publish. Samples build 10-s (binS) peaks; closing
 * a bin resolves earlier forecasts into rolling errors. A tick forecasts the peak over the
 * `horizonBins` bins after the last closed one with every forecaster that has enough history,
 * serves the configured/best one (reactive fallback with too little history), and bounds it with
 * the conformal margin of that forecaster's residuals.
 *
 * Late samples for an already closed bin are ignored. No tick result before the first bin closes.
 */
export function predictorStep(
  state: PredictorState,
  event: PredictorEvent,
  config: PredictorConfig,
  nowMs: number,
): { state: PredictorState; forecast?: Forecast } {
  if (event.kind === "sample") {
    const index = Math.floor(event.atMs / (config.binS * 1000));
    const rps = Number.isFinite(event.rps) && event.rps > 0 ? event.rps : 0;
    const open = state.openBin;
    if (open && index < open.index) return { state };
    if (open && index === open.index) {
      return { state: { ...state, openBin: { index, peakRps: Math.max(open.peakRps, rps), sumRps: open.sumRps + rps, samples: open.samples + 1 } } };
    }
    if (!open && state.lastClosedBin !== undefined && index <= state.lastClosedBin) return { state };
    const closed = closeBins(state, index, config);
    return { state: { ...closed, openBin: { index, peakRps: rps, sumRps: rps, samples: 1 } } };
  }

  const lastClosed = state.lastClosedBin;
  if (lastClosed === undefined || state.history.length === 0) return { state };
  const history = state.history;
  const pointsRps: Record<string, number> = {};
  for (const f of config.forecasters) {
    if (history.length < f.minHistoryBins) continue;
    const external = event.externalPointsRps?.[f.name];
    pointsRps[f.name] = external !== undefined && Number.isFinite(external) ? Math.max(0, external) : f.predict(history, config.horizonBins, state.historyMeans);
  }
  const targetStartBin = lastClosed + 1;
  const pending = state.pending.some((p) => p.targetStartBin === targetStartBin)
    ? state.pending
    : [...state.pending, { targetStartBin, pointsRps }];
  const model = chooseModel(state, Object.keys(pointsRps), config);
  const pointRps = model === undefined ? config.fallback.predict(history, config.horizonBins) : (pointsRps[model] as number);
  const residuals = model === undefined ? [] : (state.errors[model]?.residuals ?? []);
  const forecast: Forecast = {
    atMs: nowMs,
    horizonS: config.horizonS,
    pointRps,
    upperRps: upperBound(pointRps, residuals, config.margin),
    model: model ?? "reactive",
    fallback: model === undefined,
    pointsRps,
  };
  const mape = model === undefined ? undefined : rollingMape(state.errors[model]);
  if (mape !== undefined) forecast.rollingMape = mape;
  return { state: { ...state, pending }, forecast };
}
