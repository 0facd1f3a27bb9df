import { FulcrumError, type ErrorKind } from "@fulcrum/core";

/** No ready replica with a fresh heartbeat can take a stage call (UNAVAILABLE). */
export class NoReplicaError extends FulcrumError {
  override name = "NoReplicaError";
  constructor(
    readonly pipeline: string,
    readonly stage: string,
    /** Replicas tried (and failed) for this request before giving up. */
    readonly tried: readonly string[],
    options?: { cause?: unknown },
  ) {
    super("NO_REPLICA",
      "unavailable",
      tried.length === 0
        ? `no ready replica of stage "${stage}" of pipeline "${pipeline}"`
        : `no ready replica of stage "${stage}" of pipeline "${pipeline}" answered (tried ${tried.join(", ")})`,
      options,
    );
  }
}

/** The request's deadline has passed before (or while) it was routed (DEADLINE_EXCEEDED). */
export class DeadlinePassedError extends FulcrumError {
  override name = "DeadlinePassedError";
  constructor(
    readonly pipeline: string,
    /** How far past its deadline the request was, ms (≥ 0). */
    readonly overdueMs: number,
    /** Where it was when the deadline passed (`arrival` or a stage name). */
    readonly at: string,
    options?: { cause?: unknown },
  ) {
    super("DEADLINE_PASSED", "deadline-exceeded", `pipeline "${pipeline}": deadline passed ${overdueMs.toFixed(1)} ms ago at ${at}`, options);
  }
}

/** A stage answered but its outputs cannot feed the next stage (a pipeline wiring mistake). */
export class StageWiringError extends FulcrumError {
  override name = "StageWiringError";
  constructor(
    readonly pipeline: string,
    readonly stage: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("STAGE_WIRING", "internal", `pipeline "${pipeline}", stage "${stage}": ${message}`, options);
  }
}

/** A stage replica answered a call with an error that is passed on to the client (its code and reason kept). */
export class StageCallError extends FulcrumError {
  override name = "StageCallError";
  constructor(
    kind: ErrorKind,
    readonly pipeline: string,
    readonly stage: string,
    readonly instance: string,
    /** The replica's own error text. */
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super("STAGE_CALL_FAILED", kind, `stage "${stage}" (replica ${instance}): ${details}`, options);
  }
}

/**
 * The gateway refused a request at admission (RESOURCE_EXHAUSTED), answered at once: the pipeline
 * already holds its limit of requests in flight (`GATEWAY_OVERLOADED`), or with the requests in
 * flight ahead of it this one is expected to finish after its deadline (`DEADLINE_UNREACHABLE`).
 */
export class OverloadedError extends FulcrumError {
  override name = "OverloadedError";
  constructor(
    readonly pipeline: string,
    readonly reason: "in-flight-limit" | "deadline-unreachable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason === "in-flight-limit" ? "GATEWAY_OVERLOADED" : "DEADLINE_UNREACHABLE", "resource-exhausted", `pipeline "${pipeline}": ${message}`, options);
  }
}
