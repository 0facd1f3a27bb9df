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
