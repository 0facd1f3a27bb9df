import { checkNatsConfig, loadConfig, messageLimitsShape, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { z } from "zod";

/**
 * Monitor configuration. Env: `FULCRUM_MONITOR_<KEY>` (e.g. `FULCRUM_MONITOR_METRICS_PORT`),
 * `NATS_URL`, `LOG_LEVEL`, or a YAML file at `FULCRUM_MONITOR_CONFIG`.
 */
export const monitorConfigSchema = z.object({
  /** NATS server, user (`monitor` in `infra/nats.conf`) and TLS: `NATS_URL`, `NATS_USER`, `NATS_PASSWORD`, `NATS_TLS_*`. */
  ...natsConfigShape,
  /** Bounds of the metrics it accepts: `maxRps` (implied by arrivals and completions per window) and `maxClockSkewMs`. */
  ...messageLimitsShape,
  /** Pipelines it keeps series for; metrics naming a further pipeline are refused (so garbage names cannot grow its memory). @default 64 */
  maxPipelines: z.coerce.number().int().min(1).default(64),
  /** Prometheus `/metrics` host. @default 127.0.0.1 */
  metricsHost: z.string().default("127.0.0.1"),
  /** Prometheus `/metrics` port; 0 picks a free one. @default 9466 */
  metricsPort: z.coerce.number().int().min(0).max(65535).default(9466),
  /** LoadSample publishing period, ms. @default 1000 */
  loadIntervalMs: z.coerce.number().int().min(100).default(1000),
  /** Gateway windows kept per pipeline (≈ seconds). @default 3600 */
  historyWindows: z.coerce.number().int().min(1).default(3600),
  /** Samples kept per stage instance. @default 120 */
  instanceHistory: z.coerce.number().int().min(1).default(120),
  /** A stage instance silent this long is forgotten, ms. @default 30000 */
  instanceTtlMs: z.coerce.number().int().positive().default(30_000),
  /** A stage instance silent this long no longer counts as allocated, ms. @default 3000 */
  staleMs: z.coerce.number().int().positive().default(3000),
  /** Window of the rolling attainment gauge, ms. @default 60000 */
  attainmentWindowMs: z.coerce.number().int().positive().default(60_000),
  /** pino level. @default info */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
}).superRefine(checkNatsConfig);

/** A validated, frozen monitor configuration. */
export type MonitorConfig = Readonly<z.output<typeof monitorConfigSchema>>;

/** Loads the monitor configuration from `env`; throws `ConfigError` listing every problem. */
export function loadMonitorConfig(env: Readonly<Record<string, string | undefined>>): MonitorConfig {
  return loadConfig(monitorConfigSchema, { service: "monitor", env, envPrefix: "FULCRUM_MONITOR_", aliases: { ...NATS_ENV_ALIASES, LOG_LEVEL: "logLevel" } });
}
