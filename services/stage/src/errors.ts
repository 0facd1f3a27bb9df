import { FulcrumError } from "@fulcrum/core";

/** The request could not finish by its deadline, so it never reached the model (DEADLINE_EXCEEDED). */
export class DeadlineUnmeetableError extends FulcrumError {
  override name = "DeadlineUnmeetableError";
  /** @param safetyMarginMs the stage's `safetyMarginMs`: a finish within it of the deadline counts as late. */
  constructor(readonly requestId: string, readonly deadlineUnixMs: number, readonly predictedFinishUnixMs: number, readonly safetyMarginMs = 0) {
    super("DEADLINE_UNMEETABLE", 
      "deadline-exceeded",
      `request ${requestId} dropped early: predicted finish ${Math.round(predictedFinishUnixMs)}${safetyMarginMs > 0 ? ` + ${safetyMarginMs} ms safety margin` : ""} is after its deadline ${Math.round(deadlineUnixMs)} (${Math.round(predictedFinishUnixMs + safetyMarginMs - deadlineUnixMs)} ms late)`,
    );
  }
}

/** The queue is at its bound (RESOURCE_EXHAUSTED). */
export class QueueFullError extends FulcrumError {
  override name = "QueueFullError";
  constructor(readonly maxQueueSize: number) {
    super("QUEUE_FULL", "resource-exhausted", `stage queue is full (${maxQueueSize} requests queued); retry on another replica or later`);
  }
}

/** The stage is shutting down or has no model ready (UNAVAILABLE). */
export class StageUnavailableError extends FulcrumError {
  override name = "StageUnavailableError";
  constructor(reason: string) {
    super("STAGE_UNAVAILABLE", "unavailable", reason);
  }
}

/** onnxruntime failed on the batch this request was in (INTERNAL). */
export class InferenceFailedError extends FulcrumError {
  override name = "InferenceFailedError";
  constructor(readonly requestId: string, cause: unknown) {
    super("INFERENCE_FAILED", "internal", `inference failed for request ${requestId}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** An Assignment could not be applied (the stage keeps its current configuration). */
export class ReconfigurationError extends FulcrumError {
  override name = "ReconfigurationError";
  constructor(readonly version: number, message: string, options?: { cause?: unknown }) {
    super("RECONFIGURATION_FAILED", "failed-precondition", `assignment v${version}: ${message}`, options);
  }
}

/** A variant whose inputs/outputs differ from the ones the stage serves (clients could not call it). */
export class IncompatibleVariantError extends FulcrumError {
  override name = "IncompatibleVariantError";
  constructor(readonly variant: string, readonly signature: string, readonly served: string) {
    super("VARIANT_INCOMPATIBLE", "failed-precondition", `variant "${variant}" has inputs/outputs ${signature}, but this stage serves ${served}`);
  }
}
