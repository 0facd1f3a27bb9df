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

/** Trailing-metadata key carrying a {@link FulcrumError}'s stable `code` to gRPC clients. */
export const ERROR_CODE_METADATA_KEY = "fulcrum-error-code";

/**
 * The one place where typed errors become gRPC statuses. A {@link FulcrumError} keeps its message
 * (it was written for the caller) and sends its stable code as `fulcrum-error-code` trailing
 * metadata; anything else becomes INTERNAL (`INTERNAL` code) without leaking its text.
 */
export function toServiceError(err: unknown): ServiceError {
  const code = err instanceof FulcrumError ? STATUS_OF_KIND[err.kind] : status.INTERNAL;
  const details = err instanceof FulcrumError ? err.message : "internal error";
  const e = new Error(details) as ServiceError;
  e.code = code;
  e.details = details;
  e.metadata = new Metadata();
  e.metadata.set(ERROR_CODE_METADATA_KEY, err instanceof FulcrumError ? err.code : "INTERNAL");
  return e;
}

/** gRPC status code of a typed error kind. */
export function grpcStatusOf(kind: ErrorKind): status {
  return STATUS_OF_KIND[kind];
}
