import type { ReplicaTarget } from "../assignment/index.js";

/**
 * Domain forms of the control-plane messages (`proto/protobuf/fulcrum/v1/control.proto`). Services
 * and the simulator speak these; only the codecs in `@fulcrum/runtime` (and a service's own
 * `transport/codec.ts`) see protobuf. Times are Unix ms, durations ms, rates requests per second.
 * The gateway's window is `GatewayWindow` (`@fulcrum/core/metrics`); an Assignment is `Assignment`.
 */

/** One stage replica's metrics window (StageMetrics, published every second). */
export interface StageSample {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  readonly windowStartMs: number;
  readonly windowMs: number;
  /** Requests accepted into the queue during the window. */
  readonly arrivals: number;
  /** Requests answered with a result (in time or late). */
  readonly completions: number;
  /** Queue length at the end of the window. */
  readonly queueLength: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  /** Late completions plus early drops. */
  readonly violations: number;
  readonly earlyDrops: number;
  readonly rejected: number;
  readonly failures: number;
  readonly meanBatch: number;
  readonly variant: string;
  readonly cores: number;
  readonly batchSize: number;
  /** CPU time the process used in the window, s. */
  readonly cpuSeconds: number;
  readonly assignmentVersion: number;
}

/** The per-second load of a pipeline (LoadSample, published by the monitor). */
export interface LoadSample {
  readonly pipeline: string;
  /** Start of the covered window(s), Unix ms. */
  readonly timestampMs: number;
  /** Arrivals over the covered window(s), normalised to rps. */
  readonly arrivalsRps: number;
  /** Total length of the covered window(s), ms. */
  readonly windowMs: number;
  /** 10th percentile of the budgets requests had left on arrival, ms; absent when unknown. */
  readonly budgetP10Ms?: number;
  /** Median budget left on arrival, ms; absent when unknown. */
  readonly budgetP50Ms?: number;
}

/** A forecast of the next interval's load (Forecast, published by the predictor). */
export interface LoadForecast {
  readonly pipeline: string;
  /** When it was made, Unix ms. */
  readonly createdAtMs: number;
  /** It covers (created, created + horizon], s. */
  readonly horizonS: number;
  /** Point forecast of the peak per-second load, rps. */
  readonly peakRps: number;
  /** Upper bound (point + conformal margin), rps; absent when none was given. */
  readonly upperRps?: number;
  /** Target coverage of `upperRps` in [0, 1]; absent when unknown. */
  readonly coverage?: number;
  /** Forecaster name (`lstm`, `ewma`, …, `reactive-fallback`). */
  readonly model: string;
  /** Per-second samples the forecaster saw. @default 0 */
  readonly historySamples?: number;
}

/** A replica's answer to an Assignment version (AssignmentAck). */
export interface AssignmentAckRecord {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  readonly version: number;
  readonly applied: boolean;
  /** Receipt → new configuration serving, ms. */
  readonly applyMs: number;
  readonly appliedAtMs: number;
  /** Why it was not applied (only when `applied` is false). */
  readonly error?: string;
}

/** Lifecycle state of a replica as the registry shows it. */
export type ReplicaState = "starting" | "ready" | "draining" | "stopped";

/** The lifecycle states, in order. */
export const REPLICA_STATES: readonly ReplicaState[] = ["starting", "ready", "draining", "stopped"];

/** A replica's registry entry (RegistryEntry in KV `fulcrum_registry`), refreshed every heartbeat. */
export interface RegistryRecord {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  /** gRPC `host:port`. */
  readonly address: string;
  /** Variant, cores and batch it serves now. */
  readonly variant: string;
  readonly cores: number;
  readonly batch: number;
  readonly assignmentVersion: number;
  readonly heartbeatMs: number;
  /** Process start, unix ms. */
  readonly startedMs: number;
  /** When it first turned ready, unix ms (≥ `startedMs`); absent when the replica does not report it. */
  readonly readyMs?: number;
  readonly state: ReplicaState;
  /** Variants it can serve (models it has). */
  readonly variants: readonly string[];
}

/** What one managed replica should run (ReplicaPlacement in KV `fulcrum_placements`), written by the reconciler. */
export interface ReplicaPlacement {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  readonly target: ReplicaTarget;
  /** The Assignment version this placement carries out (acked by the replica). */
  readonly assignmentVersion: number;
  /** Increases with every placement written for this instance; a replica applies only newer ones. */
  readonly generation: number;
}
