/**
 * `@fulcrum/core/forecast`: load forecasters and the predictor's pure decision logic.
 *
 * Series are per-second arrival counts (RPS), grouped into `binS`-second bins (peak and mean per
 * bin); forecasts are the peak RPS over the next `horizonS` seconds.
 *
 * How the predictor service uses it (all pure; the service owns NATS, clock and files):
 * ```ts
 * const weights = parseLstmWeights(JSON.parse(readFileSync("services/predictor/models/lstm-default.json", "utf8")));
 * const config = compilePredictorConfig({ lstm: weights, seasonS: 86_400 });   // throws ForecastConfigError
 * let state = initialPredictorState();
 * // every LoadSample (one per second):
 * state = predictorStep(state, { kind: "sample", atMs, rps }, config, Date.now()).state;
 * // every interval:
 * const window = predictorWindow(state, weights.windowBins);          // optional: run the LSTM in ORT
 * const external = window ? { lstm: (await runner.predict([window]))[0] } : undefined;
 * const out = predictorStep(state, { kind: "tick", externalPointsRps: external }, config, Date.now());
 * state = out.state;
 * if (out.forecast) publish(out.forecast);   // { pointRps, upperRps, model, fallback, horizonS, … }
 * ```
 * Without `externalPointsRps` the LSTM runs through the TypeScript forward pass (same numbers
 * within 1e-4). Training: `makeWindows` + `trainLstm`; offline scoring: `evaluateForecasters`.
 */
export type { ForecasterErrors, ErrorTable } from "./error-tracker.js";
export { absolutePercentageError, bestForecaster, recordError, rollingMape } from "./error-tracker.js";
export { ForecastConfigError, LstmWeightsError, TrainingError } from "./errors.js";
export type { EvaluateOptions, ForecastScore } from "./evaluate.js";
export { evaluateForecasters } from "./evaluate.js";
export type { Forecaster } from "./forecasters.js";
export { ewmaForecaster, holtForecaster, lastValueForecaster, movingMaxForecaster, seasonalNaiveForecaster } from "./forecasters.js";
export type { LstmFeature, LstmNormalization, LstmShape, LstmWeights, LstmWindow } from "./lstm.js";
export { initLstmWeights, inputScale, LSTM_FEATURES, lstmForecaster, lstmForward, lstmForwardNormalized, lstmInput, parseLstmWeights } from "./lstm.js";
export type { LstmLoss, LstmTrainOptions, LstmTrainProgress, LstmTrainResult, NormalizedSample } from "./lstm-train.js";
export { lstmBatchLossAndGradient, lstmMape, lstmParameterCount, normalizeSamples, trainLstm } from "./lstm-train.js";
export type { CompiledMarginOptions, MarginOptions } from "./margin.js";
export { compileMarginOptions, conformalQuantile, relativeResidual, RESIDUAL_FLOOR_RPS, upperBound } from "./margin.js";
export type { Forecast, PendingForecast, PredictorConfig, PredictorEvent, PredictorOptions, PredictorState } from "./predictor.js";
export { compilePredictorConfig, initialPredictorState, predictorStep, predictorWindow } from "./predictor.js";
export type { WindowSamples } from "./windowing.js";
export { binMeans, binPeaks, futurePeak, interleaveWindows, makeWindows, secondsToBins } from "./windowing.js";
