/** @fulcrum/predictor: the load-forecasting service and its LSTM ONNX adapter. */
export * from "./model/index.js";
export { DEFAULT_LSTM_FILE, loadPredictorConfig, predictorConfigSchema, type PredictorServiceConfig } from "./config.js";
export { startPredictor, type PredictorDeps, type PredictorHandle } from "./predictor.js";
export { toLoadForecast } from "./transport/codec.js";
