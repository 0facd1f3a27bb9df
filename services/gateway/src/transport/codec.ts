import { status } from "@grpc/grpc-js";
import type { ErrorKind } from "@fulcrum/core";

const KIND_OF_STATUS: Partial<Record<status, ErrorKind>> = {
  [status.INVALID_ARGUMENT]: "invalid-argument",
  [status.NOT_FOUND]: "not-found",
  [status.DEADLINE_EXCEEDED]: "deadline-exceeded",
  [status.RESOURCE_EXHAUSTED]: "resource-exhausted",
  [status.UNAVAILABLE]: "unavailable",
  [status.FAILED_PRECONDITION]: "failed-precondition",
};

/** The error kind a stage's gRPC status is passed on as (anything unexpected: internal). */
export function kindOfStatus(code: number): ErrorKind {
  return KIND_OF_STATUS[code as status] ?? "internal";
}

/** Request-level fate of a gRPC status: rejected with a reason the client can act on, or failed. */
export function fateOfStatus(code: number): "rejected" | "failed" {
  return KIND_OF_STATUS[code as status] !== undefined ? "rejected" : "failed";
}
