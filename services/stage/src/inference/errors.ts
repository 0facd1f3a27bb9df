/**
 * Typed failures of the inference pool. The stage maps them to wire codes at its edge:
 * `TensorError` → INVALID_ARGUMENT; `WorkerCrashedError`, `PoolClosedError`,
 * `NoActiveSessionError` → UNAVAILABLE; `InferenceRunError` → INTERNAL (or INVALID_ARGUMENT if the
 * caller did not validate shapes first); `SessionLoadError`/`SessionNotReadyError` stay on the
 * control path (a failed reconfiguration, not a failed request).
 */

/** A tensor handed to the pool is malformed (unknown dtype, dims/byte-length mismatch, …). */
export class TensorError extends Error {
  override readonly name = "TensorError";
  /** Tensor name, when known. */
  readonly tensor: string | undefined;
  constructor(message: string, context: { tensor?: string }, options?: { cause?: unknown }) {
    super(context.tensor === undefined ? message : `tensor "${context.tensor}": ${message}`, options);
    this.tensor = context.tensor;
  }
}

/** Creating or warming a session failed (bad path, invalid model, warm-up run failed). */
export class SessionLoadError extends Error {
  override readonly name = "SessionLoadError";
  readonly sessionKey: string;
  readonly modelPath: string;
  constructor(message: string, context: { sessionKey: string; modelPath: string }, options?: { cause?: unknown }) {
    super(`loading session ${context.sessionKey}: ${message}`, options);
    this.sessionKey = context.sessionKey;
    this.modelPath = context.modelPath;
  }
}

/** `activate`/`run` named a session that was never prepared, failed to load, or was evicted. */
export class SessionNotReadyError extends Error {
  override readonly name = "SessionNotReadyError";
  readonly sessionKey: string;
  constructor(sessionKey: string, reason: string, options?: { cause?: unknown }) {
    super(`session ${sessionKey} is not ready: ${reason}`, options);
    this.sessionKey = sessionKey;
  }
}

/** `run` without a session key before any `activate`. */
export class NoActiveSessionError extends Error {
  override readonly name = "NoActiveSessionError";
  constructor(options?: { cause?: unknown }) {
    super("no active session: call prepare() then activate() first", options);
  }
}

/** onnxruntime rejected a batch (shape/dtype mismatch, missing input, kernel error). The worker lives on. */
export class InferenceRunError extends Error {
  override readonly name = "InferenceRunError";
  readonly sessionKey: string;
  constructor(message: string, context: { sessionKey: string }, options?: { cause?: unknown }) {
    super(`inference on ${context.sessionKey} failed: ${message}`, options);
    this.sessionKey = context.sessionKey;
  }
}

/**
 * The worker thread running a batch died (uncaught error, native abort caught as exit, exit
 * code ≠ 0). The batch is lost; the pool replaces the worker and reloads its session, and later
 * batches run on the replacement.
 */
export class WorkerCrashedError extends Error {
  override readonly name = "WorkerCrashedError";
  readonly sessionKey: string;
  /** Worker exit code, when it exited (`null` if only an error event was seen). */
  readonly exitCode: number | null;
  constructor(context: { sessionKey: string; exitCode: number | null; detail: string }, options?: { cause?: unknown }) {
    super(`inference worker for ${context.sessionKey} crashed (${context.detail})`, options);
    this.sessionKey = context.sessionKey;
    this.exitCode = context.exitCode;
  }
}

/** The pool is closed (or closing) and accepts no new work. */
export class PoolClosedError extends Error {
  override readonly name = "PoolClosedError";
  constructor(options?: { cause?: unknown }) {
    super("inference pool is closed", options);
  }
}
