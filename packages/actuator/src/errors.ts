import { FulcrumError } from "@fulcrum/core";

/** A replica could not be created (the process would not spawn, or the platform refused). */
export class ReplicaStartError extends FulcrumError {
  override readonly name = "ReplicaStartError";
  constructor(readonly instance: string, message: string, options?: { cause?: unknown }) {
    super("REPLICA_START_FAILED", "unavailable", `replica ${instance}: ${message}`, options);
  }
}

/** An action named a replica the actuator does not track. */
export class UnknownReplicaError extends FulcrumError {
  override readonly name = "UnknownReplicaError";
  constructor(readonly instance: string) {
    super("REPLICA_UNKNOWN", "not-found", `replica ${instance} is not tracked by this actuator`);
  }
}

/** A service process exited before it was ready, or was not ready in time. */
export class ServiceProcessError extends FulcrumError {
  override readonly name = "ServiceProcessError";
  constructor(readonly service: string, message: string) {
    super("SERVICE_NOT_READY", "unavailable", `${service} ${message}`);
  }
}

/** HTTP statuses of the Kubernetes API with a code of their own; any other status, or none (the API was not reached), is `K8S_API_UNAVAILABLE`. */
const K8S_STATUS = {
  400: ["K8S_BAD_REQUEST", "invalid-argument"],
  403: ["K8S_FORBIDDEN", "failed-precondition"],
  404: ["K8S_NOT_FOUND", "not-found"],
  409: ["K8S_CONFLICT", "failed-precondition"],
  422: ["K8S_INVALID", "invalid-argument"],
  429: ["K8S_THROTTLED", "resource-exhausted"],
} as const satisfies Record<number, readonly [string, FulcrumError["kind"]]>;

/**
 * The Kubernetes API refused a request, or could not be reached. `code` follows the HTTP status:
 * 403 `K8S_FORBIDDEN` (the actuator's Role lacks the verb), 404 `K8S_NOT_FOUND`, 409
 * `K8S_CONFLICT` (a write raced another), 422 `K8S_INVALID`, 400 `K8S_BAD_REQUEST`, 429
 * `K8S_THROTTLED`, anything else `K8S_API_UNAVAILABLE`.
 */
export class KubernetesApiError extends FulcrumError {
  override readonly name = "KubernetesApiError";
  constructor(
    /** What was asked, e.g. `patch deployments/stage-classifier-mlp/scale`. */
    readonly operation: string,
    /** HTTP status; undefined when no answer came. */
    readonly status: number | undefined,
    /** The API's Status `reason` (`Forbidden`, `NotFound`, …) or the transport error. */
    readonly reason: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const [code, kind] = status !== undefined && status in K8S_STATUS ? K8S_STATUS[status as keyof typeof K8S_STATUS] : (["K8S_API_UNAVAILABLE", "unavailable"] as const);
    super(code, kind, `Kubernetes API: ${operation}: ${status ?? "no answer"} ${reason}${detail ? `: ${detail}` : ""}`, options);
  }
}

/** What the Kubernetes actuator could not do, beyond a refused request: the codes are in its README. */
export type KubernetesActuationCode =
  | "K8S_CLAIM_TIMEOUT"
  | "K8S_DRAIN_TIMEOUT"
  | "K8S_DRAIN_OTHER_POD"
  | "K8S_VARIANT_PINNED"
  | "K8S_RESIZE_REFUSED"
  | "K8S_RESIZE_DEFERRED"
  | "K8S_BAD_INSTANCE";

const ACTUATION_KIND: Record<KubernetesActuationCode, FulcrumError["kind"]> = {
  K8S_CLAIM_TIMEOUT: "deadline-exceeded",
  K8S_DRAIN_TIMEOUT: "deadline-exceeded",
  K8S_DRAIN_OTHER_POD: "internal",
  K8S_VARIANT_PINNED: "invalid-argument",
  K8S_RESIZE_REFUSED: "failed-precondition",
  K8S_RESIZE_DEFERRED: "resource-exhausted",
  K8S_BAD_INSTANCE: "invalid-argument",
};

/** The Kubernetes actuator could not carry out an action on a replica (see {@link KubernetesActuationCode}). */
export class KubernetesActuationError extends FulcrumError {
  override readonly name = "KubernetesActuationError";
  constructor(code: KubernetesActuationCode, readonly instance: string, message: string, options?: { cause?: unknown }) {
    super(code, ACTUATION_KIND[code], `replica ${instance}: ${message}`, options);
  }
}
