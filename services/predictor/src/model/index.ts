export { LstmOnnxError } from "./errors.js";
export { exportLstmToOnnx, LSTM_ONNX_INPUT, LSTM_ONNX_OPSET, LSTM_ONNX_OUTPUT } from "./lstm-onnx-export.js";
export type { LstmOnnxRunner } from "./lstm-onnx-runner.js";
export { createLstmOnnxRunner } from "./lstm-onnx-runner.js";
