/**
 * NATS subjects and JetStream KV buckets of Fulcrum's control plane (docs/architecture.md#control-plane), in one place.
 *
 * Grammar: `fulcrum.<kind>.<pipeline>[.<stage>[.<instance>]]`, every token matching
 * `[A-Za-z0-9_-]+` (no dots, spaces or wildcards), so a name can never widen a subscription.
 * Payloads are the protobuf messages of `fulcrum.v1` named beside each builder.
 *
 * | subject / bucket                                         | from → to                      | payload        |
 * | -------------------------------------------------------- | ------------------------------ | -------------- |
 * | `fulcrum.metrics.stage.<pipeline>.<stage>.<instance>`    | stage → monitor                | StageMetrics   |
 * | `fulcrum.metrics.gateway.<pipeline>`                     | gateway → monitor              | GatewayMetrics |
 * | `fulcrum.load.<pipeline>`                                | monitor → predictor, optimizer | LoadSample     |
 * | `fulcrum.forecast.<pipeline>`                            | predictor → optimizer          | Forecast       |
 * | `fulcrum.assignment.<pipeline>` + KV `fulcrum_assignments` | optimizer → stages, gateway  | Assignment     |
 * | `fulcrum.ack.<pipeline>.<stage>.<instance>`              | stage → optimizer              | AssignmentAck  |
 * | KV `fulcrum_registry`, key `<pipeline>.<stage>.<instance>` | stage → gateway              | RegistryEntry  |
 * | KV `fulcrum_placements`, key `<pipeline>.<stage>.<instance>` | reconciler → stage         | ReplicaPlacement |
 * | `fulcrum.drain.<pipeline>.<stage>.<instance>` (request)  | operator, launcher → stage     | DrainRequest → DrainReply |
 */
import { FulcrumError } from "@fulcrum/core";

/** Root token of every Fulcrum subject. */
export const SUBJECT_ROOT = "fulcrum";

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Thrown when a pipeline, stage or instance name cannot be used as a subject token. */
export class InvalidSubjectTokenError extends FulcrumError {
  override readonly name = "InvalidSubjectTokenError";
  constructor(
    /** Which name was wrong (`pipeline`, `stage` or `instance`). */
    readonly field: string,
    /** The rejected value. */
    readonly value: string,
  ) {
    super("SUBJECT_TOKEN_INVALID", "invalid-argument", `${field} "${value}" is not a valid NATS subject token: use only letters, digits, "_" and "-"`);
  }
}

/** Returns `value` if it is a valid subject token, else throws {@link InvalidSubjectTokenError}. */
export function subjectToken(field: string, value: string): string {
  if (!TOKEN.test(value)) throw new InvalidSubjectTokenError(field, value);
  return value;
}

const t = subjectToken;

/** Subject builders. Wildcard variants (`…All`) are for subscribers only. */
export const subjects = {
  /** StageMetrics of one stage instance, once per second. */
  stageMetrics: (pipeline: string, stage: string, instance: string): string =>
    `${SUBJECT_ROOT}.metrics.stage.${t("pipeline", pipeline)}.${t("stage", stage)}.${t("instance", instance)}`,
  /** Every stage instance's metrics, of one pipeline or (no argument) of all pipelines. */
  stageMetricsAll: (pipeline?: string): string =>
    `${SUBJECT_ROOT}.metrics.stage.${pipeline === undefined ? "*" : t("pipeline", pipeline)}.>`,
  /** GatewayMetrics of one pipeline, once per second. */
  gatewayMetrics: (pipeline: string): string => `${SUBJECT_ROOT}.metrics.gateway.${t("pipeline", pipeline)}`,
  /** Gateway metrics of every pipeline. */
  gatewayMetricsAll: (): string => `${SUBJECT_ROOT}.metrics.gateway.*`,
  /** LoadSample of one pipeline, once per second. */
  load: (pipeline: string): string => `${SUBJECT_ROOT}.load.${t("pipeline", pipeline)}`,
  /** Forecast of one pipeline, once per predictor interval. */
  forecast: (pipeline: string): string => `${SUBJECT_ROOT}.forecast.${t("pipeline", pipeline)}`,
  /** Assignment broadcasts of one pipeline. */
  assignment: (pipeline: string): string => `${SUBJECT_ROOT}.assignment.${t("pipeline", pipeline)}`,
  /** AssignmentAck of one stage instance. */
  ack: (pipeline: string, stage: string, instance: string): string =>
    `${SUBJECT_ROOT}.ack.${t("pipeline", pipeline)}.${t("stage", stage)}.${t("instance", instance)}`,
  /** Every ack of one pipeline. */
  ackAll: (pipeline: string): string => `${SUBJECT_ROOT}.ack.${t("pipeline", pipeline)}.>`,
  /** Drain requests to one stage instance (request/reply: DrainRequest → DrainReply). */
  drain: (pipeline: string, stage: string, instance: string): string =>
    `${SUBJECT_ROOT}.drain.${t("pipeline", pipeline)}.${t("stage", stage)}.${t("instance", instance)}`,
} as const;

/** JetStream KV bucket names. */
export const KV_BUCKETS = {
  /** Latest Assignment per pipeline (key = pipeline), so late starters catch up. */
  assignments: "fulcrum_assignments",
  /** Stage instance registrations (key = `<pipeline>.<stage>.<instance>`), refreshed by heartbeats. */
  registry: "fulcrum_registry",
  /** What each managed replica should run (key = `<pipeline>.<stage>.<instance>`), written by the reconciler. */
  placements: "fulcrum_placements",
} as const;

/** A KV bucket's retention, applied whenever a service opens it (creating or updating the bucket). */
export interface KvBucketSpec {
  /** Values kept per key. */
  readonly history: number;
  /** Entries older than this disappear, ms (0: kept forever). A heartbeat re-put keeps an entry alive. */
  readonly maxAgeMs: number;
}

/**
 * Heartbeat period of a registry entry, ms; a replica re-puts its entry this often (stage contract v1).
 */
export const REGISTRY_HEARTBEAT_MS = 2000;

/** Age after which a registry entry disappears from the bucket, ms (five missed heartbeats). */
export const REGISTRY_TTL_MS = 10_000;

/** Retention of every bucket in {@link KV_BUCKETS}. */
export const KV_BUCKET_SPECS: Readonly<Record<(typeof KV_BUCKETS)[keyof typeof KV_BUCKETS], KvBucketSpec>> = {
  fulcrum_assignments: { history: 5, maxAgeMs: 0 },
  fulcrum_registry: { history: 1, maxAgeMs: REGISTRY_TTL_MS },
  // A placement lives as long as its replica: the reconciler deletes it when the replica goes.
  fulcrum_placements: { history: 1, maxAgeMs: 0 },
};

/** Keys inside the KV buckets. */
export const kvKeys = {
  /** Key of a pipeline's assignment in {@link KV_BUCKETS.assignments}. */
  assignment: (pipeline: string): string => t("pipeline", pipeline),
  /** Key of a stage instance in {@link KV_BUCKETS.registry}. */
  registry: (pipeline: string, stage: string, instance: string): string =>
    `${t("pipeline", pipeline)}.${t("stage", stage)}.${t("instance", instance)}`,
  /** Key filter for every instance of a pipeline in {@link KV_BUCKETS.registry}. */
  registryOfPipeline: (pipeline: string): string => `${t("pipeline", pipeline)}.>`,
  /** Key of a managed replica in {@link KV_BUCKETS.placements} (same form as its registry key). */
  placement: (pipeline: string, stage: string, instance: string): string =>
    `${t("pipeline", pipeline)}.${t("stage", stage)}.${t("instance", instance)}`,
} as const;
