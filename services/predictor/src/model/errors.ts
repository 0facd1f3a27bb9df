/** The LSTM could not be exported to ONNX or run by ONNX Runtime. */
export class LstmOnnxError extends Error {
  override readonly name = "LstmOnnxError";
  /** What was being done: "export", "load" or "run". */
  readonly operation: "export" | "load" | "run";

  constructor(operation: "export" | "load" | "run", message: string, options?: { cause?: unknown }) {
    super(`LSTM ONNX ${operation}: ${message}`, options);
    this.operation = operation;
  }
}
