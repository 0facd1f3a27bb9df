/**
 * Errors a client sees: a gRPC status plus the stable `fulcrum-error-code` trailing metadata the
 * stage contract requires (docs/extending.md, "Errors").
 */
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";

export class StageError extends Error {
  override readonly name = "StageError";
  constructor(
    readonly status: status,
    /** Stable UPPER_SNAKE code sent as `fulcrum-error-code`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request is malformed; the message starts with the field at fault. */
export const invalidArgument = (field: string, message: string): StageError => new StageError(status.INVALID_ARGUMENT, "INVALID_ARGUMENT", `${field}: ${message}`);
/** No such model (ModelMetadata of another name). */
export const notFound = (model: string, served: string): StageError => new StageError(status.NOT_FOUND, "NOT_FOUND", `unknown model "${model}" (this stage serves "${served}")`);
/** Dropped before any work: it could not finish by its deadline. */
export const deadlineUnmeetable = (requestId: string, deadlineMs: number, finishMs: number): StageError =>
  new StageError(status.DEADLINE_EXCEEDED, "DEADLINE_UNMEETABLE", `request ${requestId} dropped early: predicted finish ${Math.round(finishMs)} is after its deadline ${Math.round(deadlineMs)}`);
/** The queue is at its bound. */
export const queueFull = (max: number): StageError => new StageError(status.RESOURCE_EXHAUSTED, "QUEUE_FULL", `stage queue is full (${max} requests queued); retry on another replica or later`);
/** Starting, draining or stopped. */
export const unavailable = (why: string): StageError => new StageError(status.UNAVAILABLE, "STAGE_UNAVAILABLE", why);

/** Any error → what grpc-js sends: a StageError keeps its status and message, anything else is INTERNAL without its text. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  const e = err instanceof StageError ? err : new StageError(status.INTERNAL, "INTERNAL", "internal error");
  const metadata = new Metadata();
  metadata.set("fulcrum-error-code", e.code);
  return { code: e.status, details: e.message, metadata };
}
