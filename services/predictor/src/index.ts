/** @fulcrum/predictor: the load-forecasting service and its LSTM ONNX adapter. */
export * from "./model/index.js";
