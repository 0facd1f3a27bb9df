/**
 * The stage's inference layer: onnxruntime sessions in worker threads, one batch at a time per
 * session, with prepare/activate for live variant and cores changes. See {@link InferencePool}.
 */
export { InferencePool } from "./inference-pool.js";
export type { InferencePoolOptions, PrepareOptions, SessionStatus } from "./inference-pool.js";
export { sessionKey } from "./session-slot.js";
export type { RunResult, SessionInfo, SessionSpec, SlotState } from "./session-slot.js";
export type { TensorSpec, WorkerFault } from "./messages.js";
export { checkTensor, concatBatch, DTYPE_BYTES, elementCount, isTensorDtype, splitBatch } from "./tensor.js";
export type { TensorData, TensorDtype } from "./tensor.js";
export {
  InferenceRunError,
  NoActiveSessionError,
  PoolClosedError,
  SessionLoadError,
  SessionNotReadyError,
  TensorError,
  WorkerCrashedError,
} from "./errors.js";
