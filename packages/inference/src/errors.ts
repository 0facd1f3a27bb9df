import { FulcrumError } from "@fulcrum/core";
/**
 * Typed failures of the inference pool. The stage maps them to wire codes at its edge:
 * `TensorError` → INVALID_ARGUMENT; `WorkerCrashedError`, `PoolClosedError`,
 * `NoActiveSessionError` → UNAVAILABLE; `InferenceRunError` → INTERNAL (or INVALID_ARGUMENT if the
 * caller did not validate shapes first); `SessionLoadError`/`SessionNotReadyError` stay on the
 * control path (a failed reconfiguration, not a failed request).
 */

/** A tensor handed to the pool is malformed (unknown dtype, dims/byte-length mismatch, …). */
export class TensorError extends FulcrumError {
  override readonly name = "TensorError";
  /** Tensor name, when known. */
  readonly tensor: string | undefined;
  constructor(message: string, context: { tensor?: string }, options?: { cause?: unknown }) {
    super("TENSOR_INVALID", "invalid-argument", context.tensor === undefined ? message : `tensor "${context.tensor}": ${message}`, options);
    this.tensor = context.tensor;
  }
}

/** Creating or warming a session failed (bad path, invalid model, warm-up run failed). */
export class SessionLoadError extends FulcrumError {
  override readonly name = "SessionLoadError";
  readonly sessionKey: string;
  readonly modelPath: string;
  constructor(message: string, context: { sessionKey: string; modelPath: string }, options?: { cause?: unknown }) {
    super("SESSION_LOAD_FAILED", "failed-precondition", `loading session ${context.sessionKey}: ${message}`, options);
    this.sessionKey = context.sessionKey;
    this.modelPath = context.modelPath;
  }
}

/** `activate`/`run` named a session that was never prepared, failed to load, or was evicted. */
export class SessionNotReadyError extends FulcrumError {
  override readonly name = "SessionNotReadyError";
  readonly sessionKey: string;
  constructor(sessionKey: string, reason: string, options?: { cause?: unknown }) {
    super("SESSION_NOT_READY", "failed-precondition", `session ${sessionKey} is not ready: ${reason}`, options);
    this.sessionKey = sessionKey;
  }
}

/** `run` without a session key before any `activate`. */
export class NoActiveSessionError extends FulcrumError {
  override readonly name = "NoActiveSessionError";
  constructor(options?: { cause?: unknown }) {
    super("NO_ACTIVE_SESSION", "unavailable", "no active session: call prepare() then activate() first", options);
  }
}

/** onnxruntime rejected a batch (shape/dtype mismatch, missing input, kernel error). The worker lives on. */
export class InferenceRunError extends FulcrumError {
  override readonly name = "InferenceRunError";
  readonly sessionKey: string;
  constructor(message: string, context: { sessionKey: string }, options?: { cause?: unknown }) {
    super("INFERENCE_RUN_FAILED", "internal", `inference on ${context.sessionKey} failed: ${message}`, options);
    this.sessionKey = context.sessionKey;
  }
}

/**
 * The worker thread running a batch died (uncaught error, native abort caught as exit, exit
 * code ≠ 0). The batch is lost; the pool replaces the worker and reloads its session, and later
 * batches run on the replacement.
 */
export class WorkerCrashedError extends FulcrumError {
  override readonly name = "WorkerCrashedError";
  readonly sessionKey: string;
  /** Worker exit code, when it exited (`null` if only an error event was seen). */
  readonly exitCode: number | null;
  constructor(context: { sessionKey: string; exitCode: number | null; detail: string }, options?: { cause?: unknown }) {
    super("INFERENCE_WORKER_CRASHED", "internal", `inference worker for ${context.sessionKey} crashed (${context.detail})`, options);
    this.sessionKey = context.sessionKey;
    this.exitCode = context.exitCode;
  }
}

/** The pool is closed (or closing) and accepts no new work. */
export class PoolClosedError extends FulcrumError {
  override readonly name = "PoolClosedError";
  constructor(options?: { cause?: unknown }) {
    super("INFERENCE_POOL_CLOSED", "unavailable", "inference pool is closed", options);
  }
}
