import type { SlotTarget } from "@fulcrum/core/reconcile";

/** One replica to create. */
export interface ReplicaSpec {
  readonly pipeline: string;
  readonly stage: string;
  /** Unique within the stage; a NATS subject token. */
  readonly instance: string;
  /** What it starts with (its placement says the same). */
  readonly target: SlotTarget;
}

/** A replica an actuator created, as it sees it (liveness of its process or pod). */
export interface ActuatedReplica {
  readonly instance: string;
  readonly stage: string;
  /** When it was created, Unix ms. */
  readonly startedAtMs: number;
  /** False once its process exited (or its pod is gone). */
  readonly alive: boolean;
  /** Exit code or signal, once it exited. */
  readonly exit?: string;
  /** Where its log goes, for error messages. */
  readonly log?: string;
  /** Its process id, for a local replica. */
  readonly pid?: number;
}

/** What an actuator can do in place. */
export interface ActuatorCapabilities {
  /** Whether a replica may switch variant in place (false where each variant is its own deployment). */
  readonly inPlaceVariantChange: boolean;
}

/**
 * The port the reconcile loop drives: create, change in place, drain, list. Kept small so a
 * container or Kubernetes actuator implements the same four things (Kubernetes: Deployment scale
 * subresource, `pods/resize` for cores, drain through readiness).
 */
export interface Actuator {
  readonly name: string;
  readonly capabilities: ActuatorCapabilities;
  /** Creates a replica; resolves once it exists (not once it is ready: the registry says that). */
  start(spec: ReplicaSpec): Promise<void>;
  /**
   * Gives a replica the resources of its new target in place (cores). The target itself reaches the
   * replica through its placement, which the loop writes; an actuator without resources to change
   * (local processes: cores are intra-op threads) does nothing.
   */
  retarget(instance: string, target: SlotTarget): Promise<void>;
  /** Drains a replica (it finishes what it has, deregisters and exits); resolves when it is gone. */
  drain(instance: string): Promise<void>;
  /** The replicas it created that it still tracks. */
  list(): readonly ActuatedReplica[];
  /** Forgets a replica that is gone (after the loop cleaned up after it). */
  forget(instance: string): void;
  /** Drains every replica (bounded) and releases what it holds; idempotent. */
  close(): Promise<void>;
}
