import { FulcrumError } from "@fulcrum/core";
/** The LSTM could not be exported to ONNX or run by ONNX Runtime. */
export class LstmOnnxError extends FulcrumError {
  override readonly name = "LstmOnnxError";
  /** What was being done: "export", "load" or "run". */
  readonly operation: "export" | "load" | "run";

  constructor(operation: "export" | "load" | "run", message: string, options?: { cause?: unknown }) {
    super("LSTM_ONNX_FAILED", "internal", `LSTM ONNX ${operation}: ${message}`, options);
    this.operation = operation;
  }
}
