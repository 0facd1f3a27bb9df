import { hostname } from "node:os";
import { REGISTRY_HEARTBEAT_MS } from "@fulcrum/proto";
import { assignmentLimitsShape, checkGrpcTlsConfig, checkNatsConfig, envBoolean, GRPC_TLS_SERVER_ENV_ALIASES, grpcTlsServerShape, loadConfig, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { z } from "zod";

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'");

/**
 * Configuration of one stage replica. Env: `FULCRUM_STAGE_<KEY>` (e.g. `FULCRUM_STAGE_GRPC_PORT`),
 * `NATS_URL`, or a YAML file at `FULCRUM_STAGE_CONFIG`.
 */
export const stageConfigSchema = z.object({
  /** Pipeline this replica belongs to. */
  pipeline: name,
  /** Stage name within the pipeline (also the OIP model name clients call). */
  stage: name,
  /** Instance id, unique among the stage's replicas. @default `<hostname>-<pid>` */
  instance: name.default(`${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}-${process.pid}`),
  /**
   * Index of this replica among the stage's replicas (0-based). An Assignment lists each variant's
   * replica count; replica k runs the variant whose cumulative replica range contains k.
   * @default 0
   */
  replicaIndex: z.coerce.number().int().min(0).default(0),
  /** Zoo family the variants come from (`resnet`, `yolo`, `fashion`). */
  family: z.string().min(1),
  /** Variant served until the first Assignment arrives. */
  variant: z.string().min(1),
  /** Input resolution of the family's models (pixels per side). @default the family's default */
  resolution: z.coerce.number().int().positive().optional(),
  /** Generated-model cache. @default `$FULCRUM_MODEL_DIR` or `<repo>/.fulcrum/models` */
  modelDir: z.string().optional(),
  /** Initial cores (= intra-op threads). @default 1 */
  cores: z.coerce.number().int().min(1).max(64).default(1),
  /** Initial maximum batch size. @default 8 */
  batchSize: z.coerce.number().int().min(1).max(256).default(8),
  /**
   * How long an idle replica may hold a partial batch for more requests, ms. 0 is work-conserving:
   * an idle replica dispatches what is queued at once and batches form only from what queues while
   * it is busy (no batching delay at light load). @default 0
   */
  maxQueueDelayMs: z.coerce.number().min(0).default(0),
  /** Queue bound; beyond it requests get RESOURCE_EXHAUSTED. @default 1024 */
  maxQueueSize: z.coerce.number().int().min(1).default(1024),
  /** Slack added to every predicted finish time (model error, data-plane overhead), ms. @default 2 */
  safetyMarginMs: z.coerce.number().min(0).default(2),
  /** Batches handed to the session at once (2 = the next full batch waits in the worker, so cores never idle between batches). @default 2 */
  pipelineDepth: z.coerce.number().int().min(1).max(4).default(2),
  /** Deadline of a request that carries neither `deadline_unix_ms` nor `slo_ms`, ms from arrival. @default 1000 */
  defaultSloMs: z.coerce.number().positive().default(1000),
  /** Largest accepted request (sum of input bytes), bytes; larger ones get INVALID_ARGUMENT. @default 16 MiB */
  maxRequestBytes: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  /** Largest batch dimension of one request. @default 64 */
  maxRowsPerRequest: z.coerce.number().int().positive().default(64),
  /** gRPC bind host. @default 127.0.0.1 */
  grpcHost: z.string().default("127.0.0.1"),
  /**
   * Host other services dial, published in the registry. @default `grpcHost`, or the machine's
   * hostname when `grpcHost` is a wildcard (`0.0.0.0`, `::`)
   */
  advertiseHost: z.string().optional(),
  /** gRPC port; 0 picks a free one (published in the registry). @default 0 */
  grpcPort: z.coerce.number().int().min(0).max(65535).default(0),
  /** Prometheus `/metrics` port; 0 picks a free one. @default 0 */
  metricsPort: z.coerce.number().int().min(0).max(65535).default(0),
  /** TLS of its gRPC server: `GRPC_TLS_CERT_FILE`, `GRPC_TLS_KEY_FILE` (absent: plaintext). */
  ...grpcTlsServerShape,
  /** NATS server, user (`stage` in `infra/nats.conf`) and TLS: `NATS_URL`, `NATS_USER`, `NATS_PASSWORD`, `NATS_TLS_*`. */
  ...natsConfigShape,
  /** Bounds of the Assignments and placements it applies (`FULCRUM_STAGE_MAX_CORES_PER_REPLICA`, …); beyond them a version is refused and acked so. */
  ...assignmentLimitsShape,
  /** StageMetrics publishing period, ms. @default 1000 */
  metricsIntervalMs: z.coerce.number().int().min(100).default(1000),
  /** Registry heartbeat period, ms (the registry bucket's TTL is five of the contract's periods). @default 2000 */
  heartbeatMs: z.coerce.number().int().min(100).default(REGISTRY_HEARTBEAT_MS),
  /**
   * Nice value (0–19, Linux) of the inference threads relative to the event loop's; 0 leaves them
   * at the process's priority (see `InferencePoolOptions.inferenceNiceness` for what 10 measured).
   * @default 0
   */
  inferenceNiceness: z.coerce.number().int().min(0).max(19).default(0),
  /** Sessions kept loaded for cheap switches back (variant × cores). @default 4 */
  sessionCacheSize: z.coerce.number().int().min(1).default(4),
  /** Wait for in-flight and queued requests on shutdown before answering the rest UNAVAILABLE, ms. @default 5000 */
  shutdownGraceMs: z.coerce.number().int().min(0).default(5000),
  /** Apply Assignments from NATS (off: serve the initial variant only). @default true */
  followAssignments: envBoolean().default(true),
  /**
   * A replica managed by the reconciler: it applies its own placement (KV `fulcrum_placements`, key
   * `<pipeline>.<stage>.<instance>`) instead of working out its target from the Assignment by
   * `replicaIndex`. @default false
   */
  followPlacement: envBoolean().default(false),
  /**
   * Pinned-variant mode, for one deployment per (stage, variant) (Kubernetes): the replica keeps
   * `variant` whatever the Assignment or its placement says. From an Assignment it takes the
   * cores (intra-op threads) and batch of its own variant's entry instead of the target of
   * `replicaIndex` (when its variant has no traffic it keeps its configuration); with
   * `followPlacement`, a placement naming another variant is refused (acked not applied).
   * @default false
   */
  pinVariant: envBoolean().default(false),
  /**
   * On drain, time between putting `draining` in the registry and refusing new calls, ms: the
   * gateway sees the entry and stops routing here first, so no call is refused. @default 500
   */
  drainGraceMs: z.coerce.number().int().min(0).default(500),
  /** Longest wait for one control-plane write (registry put or delete) during shutdown, ms: NATS may be away. @default 1000 */
  controlPlaneTimeoutMs: z.coerce.number().int().min(1).default(1000),
  /** pino level. @default info */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
}).superRefine((cfg, ctx) => {
  checkNatsConfig(cfg, ctx);
  checkGrpcTlsConfig(cfg, ctx);
});

/** A validated, frozen stage configuration. */
export type StageConfig = Readonly<z.infer<typeof stageConfigSchema>>;

/** Loads the stage configuration from `env`; throws `ConfigError` listing every problem. */
export function loadStageConfig(env: Readonly<Record<string, string | undefined>>): StageConfig {
  return loadConfig(stageConfigSchema, {
    service: "stage",
    env,
    envPrefix: "FULCRUM_STAGE_",
    aliases: { ...NATS_ENV_ALIASES, ...GRPC_TLS_SERVER_ENV_ALIASES, LOG_LEVEL: "logLevel", FULCRUM_MODEL_DIR: "modelDir" },
  });
}
