import { checkGrpcTlsConfig, checkNatsConfig, GRPC_TLS_CLIENT_ENV_ALIASES, GRPC_TLS_SERVER_ENV_ALIASES, grpcTlsClientShape, grpcTlsServerShape, loadConfig, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { z } from "zod";

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'");

/** One stage of a pipeline, in call order. */
export const gatewayStageSchema = z
  .object({
    /** Stage name (the OIP model name its replicas serve, and the registry's stage token). */
    name,
    /**
     * How the previous stage's outputs become this stage's inputs: output tensor name → input
     * tensor name. Outputs not listed are not forwarded. Ignored on the first stage, which gets the
     * client's inputs unchanged. @default every output forwarded under its own name
     */
    feed: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .strict();

/** A pipeline the gateway fronts: a linear chain of stages (a DAG with fan-out is not supported here). */
export const gatewayPipelineSchema = z
  .object({
    /** Pipeline name: the OIP model name clients call, and the subject token. */
    name,
    /** End-to-end SLO used when a request carries neither `deadline_unix_ms` nor `slo_ms`, ms. */
    sloMs: z.number().positive(),
    /** Stages in call order (at least one). */
    stages: z.array(gatewayStageSchema).min(1),
    /** Accuracy of each variant in (0, 1], for the mean-accuracy metric (optional; unknown variants make it 0). @default {} */
    accuracies: z.record(z.string(), z.number().gt(0).max(1)).default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.stages.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["stages", i, "name"], message: `stage "${s.name}" appears twice: a pipeline is a chain of distinct stages` });
      seen.add(s.name);
    });
  });

/**
 * Gateway configuration. Env: `FULCRUM_GATEWAY_<KEY>` (e.g. `FULCRUM_GATEWAY_GRPC_PORT`; `pipelines`
 * as JSON), `NATS_URL`, `LOG_LEVEL`, or a YAML file at `FULCRUM_GATEWAY_CONFIG`.
 */
export const gatewayConfigSchema = z
  .object({
    /** Pipelines served (at least one; names unique). */
    pipelines: z.array(gatewayPipelineSchema).min(1),
    /** gRPC and REST bind host. @default 127.0.0.1 */
    host: z.string().default("127.0.0.1"),
    /** OIP gRPC port; 0 picks a free one. @default 8001 (Triton's) */
    grpcPort: z.coerce.number().int().min(0).max(65535).default(8001),
    /** OIP REST port; 0 picks a free one. @default 8000 (Triton's) */
    httpPort: z.coerce.number().int().min(0).max(65535).default(8000),
    /** Prometheus `/metrics` port; 0 picks a free one. @default 9465 */
    metricsPort: z.coerce.number().int().min(0).max(65535).default(9465),
    /** TLS of its OIP gRPC server: `GRPC_TLS_CERT_FILE`, `GRPC_TLS_KEY_FILE` (absent: plaintext). */
    ...grpcTlsServerShape,
    /** CA its calls to stage replicas verify them with: `GRPC_TLS_CA_FILE` (absent: plaintext). */
    ...grpcTlsClientShape,
    /** NATS server, user (`gateway` in `infra/nats.conf`) and TLS: `NATS_URL`, `NATS_USER`, `NATS_PASSWORD`, `NATS_TLS_*`. */
    ...natsConfigShape,
    /** A replica whose registry heartbeat is older than this is not routed to, ms. @default 6000 (3 stage heartbeats) */
    staleMs: z.coerce.number().int().positive().default(6000),
    /** A replica that answered UNAVAILABLE or could not be reached is skipped this long, ms. @default 3000 */
    ejectMs: z.coerce.number().int().min(0).default(3000),
    /** Replicas tried per stage call: the first, plus a retry on another replica when one fails before answering. @default 2 */
    maxAttempts: z.coerce.number().int().min(1).max(10).default(2),
    /** While NATS is away, how often every known replica's ServerReady is probed (a failed probe ejects it), ms. @default 2000 */
    probeIntervalMs: z.coerce.number().int().min(100).default(2000),
    /** Extra wait past a request's deadline for a stage's answer (a late answer is still delivered), ms. @default 1000 */
    callGraceMs: z.coerce.number().int().min(0).default(1000),
    /**
     * Most requests of one pipeline in flight at once; beyond it a request is refused at once with
     * RESOURCE_EXHAUSTED. 0 derives it from what is live: `maxInFlightPerReplica` × the live
     * replicas of the pipeline's narrowest stage. @default 0
     */
    maxInFlight: z.coerce.number().int().min(0).default(0),
    /**
     * In-flight requests per live replica of a pipeline's narrowest stage, when `maxInFlight` is 0.
     * A replica runs batches two deep; 64 keeps several batches queued at each one, while the
     * deadline rule below keeps their latency within budgets. @default 64
     */
    maxInFlightPerReplica: z.coerce.number().int().positive().default(64),
    /**
     * Share of a request's remaining budget its expected latency (in flight + 1 × the pipeline's
     * service time per request while busy) may take; a request expected to need more is refused at
     * once with RESOURCE_EXHAUSTED. 1 admits what is expected to just make it; lower leaves room for
     * the answer's way back and estimation error. The estimate is a mean and ignores batching (a
     * request that just misses a batch waits for the whole running one), so a stage refuses, or
     * drops after queueing, some of what the gate lets through at a high share. With the gateway
     * and one ResNet-101 replica at 10× overload (410 rps, 1 CPU): at 0.8, 71–1,126 such refusals
     * per 30 s (6 runs) and 17–37 late answers; at 0.6, 42–46 and 12–18, goodput no lower (5 runs,
     * two of each alternating: 667 and 1,126 vs 46 and 44; the gateway then ran with
     * `--heap-growing-percent=300`, which it no longer does, see `SERVICE_NODE_FLAGS`).
     * @default 0.6
     */
    admissionBudgetShare: z.coerce.number().gt(0).max(1).default(0.6),
    /** Time constant of the pipeline's service-time estimate, ms. @default 1000 */
    admissionWindowMs: z.coerce.number().int().min(50).default(1000),
    /** Transport errors (calls closed before their answer) are logged at most once per this period, ms. @default 5000 */
    transportLogIntervalMs: z.coerce.number().int().min(100).default(5000),
    /** GatewayMetrics publishing period, ms. @default 1000 */
    metricsIntervalMs: z.coerce.number().int().min(100).default(1000),
    /** Largest accepted request, bytes (gRPC message and REST body). @default 16 MiB */
    maxRequestBytes: z.coerce.number().int().positive().default(16 * 1024 * 1024),
    /** Wait for in-flight requests on shutdown, ms. @default 5000 */
    shutdownGraceMs: z.coerce.number().int().min(0).default(5000),
    /** pino level. @default info */
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  })
  .superRefine((cfg, ctx) => {
    checkNatsConfig(cfg, ctx);
    checkGrpcTlsConfig(cfg, ctx);
    const seen = new Set<string>();
    cfg.pipelines.forEach((p, i) => {
      if (seen.has(p.name)) ctx.addIssue({ code: "custom", path: ["pipelines", i, "name"], message: `pipeline "${p.name}" is defined twice` });
      seen.add(p.name);
    });
  });

/** A validated, frozen gateway configuration. */
export type GatewayConfig = Readonly<z.output<typeof gatewayConfigSchema>>;
/** One pipeline of a {@link GatewayConfig}. */
export type GatewayPipeline = GatewayConfig["pipelines"][number];

/** Loads the gateway configuration from `env`; throws `ConfigError` listing every problem. */
export function loadGatewayConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  return loadConfig(gatewayConfigSchema, { service: "gateway", env, envPrefix: "FULCRUM_GATEWAY_", aliases: { ...NATS_ENV_ALIASES, ...GRPC_TLS_SERVER_ENV_ALIASES, ...GRPC_TLS_CLIENT_ENV_ALIASES, LOG_LEVEL: "logLevel" } });
}
