import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { FulcrumError, type ErrorKind } from "@fulcrum/core";

const STATUS_OF_KIND: Record<ErrorKind, status> = {
  "invalid-argument": status.INVALID_ARGUMENT,
  "not-found": status.NOT_FOUND,
  "deadline-exceeded": status.DEADLINE_EXCEEDED,
  "resource-exhausted": status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  "failed-precondition": status.FAILED_PRECONDITION,
  internal: status.INTERNAL,
};

/**
 * The one place where typed errors become gRPC statuses. A {@link FulcrumError} keeps its message
 * (it was written for the caller); anything else becomes INTERNAL without leaking its text.
 */
export function toServiceError(err: unknown): ServiceError {
  const code = err instanceof FulcrumError ? STATUS_OF_KIND[err.kind] : status.INTERNAL;
  const details = err instanceof FulcrumError ? err.message : "internal error";
  const e = new Error(details) as ServiceError;
  e.code = code;
  e.details = details;
  e.metadata = new Metadata();
  return e;
}

/** gRPC status code of a typed error kind. */
export function grpcStatusOf(kind: ErrorKind): status {
  return STATUS_OF_KIND[kind];
}
