import { checkNatsConfig, loadConfig, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { z } from "zod";

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'");
const target = z.object({
  variant: z.string().min(1),
  /** Cores (CPU request = limit, and intra-op threads). @default 1 */
  cores: z.number().int().min(1).max(64).default(1),
  /** Maximum batch size. @default 8 */
  batchSize: z.number().int().min(1).max(256).default(8),
});

/**
 * Configuration of `fulcrum reconcile`, the reconcile loop of one pipeline on Kubernetes. Env:
 * `FULCRUM_RECONCILER_<KEY>` (e.g. `FULCRUM_RECONCILER_CORE_BUDGET`), `NATS_URL`, `NATS_USER`,
 * `NATS_PASSWORD`, `NATS_TLS_*`, `LOG_LEVEL`, or a YAML file at `FULCRUM_RECONCILER_CONFIG`;
 * command-line flags override both.
 */
export const reconcilerConfigSchema = z.object({
  /** Pipeline whose Assignments it carries out. */
  pipeline: name,
  /** Namespace of the stage Deployments (`stage-<stage>-<variant>`). @default fulcrum */
  namespace: z.string().min(1).default("fulcrum"),
  /** Cores the stage replicas may hold in all (the optimizer's `limits.maxCores`). */
  coreBudget: z.coerce.number().int().min(1),
  /**
   * Replicas wanted before the first Assignment exists, per stage, e.g.
   * `{"classifier":[{"variant":"mlp","cores":1,"batchSize":8}]}` (so the pipeline serves from the start).
   */
  bootstrap: z.record(name, z.array(target).min(1)).refine((b) => Object.keys(b).length > 0, "name at least one stage"),
  /** Id of this run (a label value); instance ids are `<stage>-<runId>-<n>`. @default derived from the start time */
  runId: z.string().regex(/^[a-z0-9]{1,20}$/, "use 1-20 lowercase letters and digits").default(() => Date.now().toString(36)),
  /** A new replica not ready by then is a failed start (image pull and model load included), ms. @default 180000 */
  startTimeoutMs: z.coerce.number().int().min(1000).default(180_000),
  /** Period of reconciliation passes, ms. @default 1000 */
  passIntervalMs: z.coerce.number().int().min(100).default(1000),
  /**
   * Replicas starting at once over the pipeline. A cluster starts pods on many nodes together (the
   * local launcher allows 2: there, cold starts compete for the same cores). @default 64
   */
  maxConcurrentStarts: z.coerce.number().int().min(1).default(64),
  /** Actions (start, drain, retarget) per pass. @default 128 */
  maxActionsPerPass: z.coerce.number().int().min(1).default(128),
  /**
   * NATS server, user and TLS: `NATS_URL`, `NATS_USER` + `NATS_PASSWORD` (the `launcher` user of
   * `infra/nats-auth.conf`: it writes placements, retires registry entries and sends drains),
   * `NATS_TLS_CA_FILE`, `NATS_TLS_CERT_FILE` + `NATS_TLS_KEY_FILE`.
   */
  ...natsConfigShape,
  /** Host and port of `/metrics`, `/healthz`, `/readyz`. @default 127.0.0.1, 9469 */
  metricsHost: z.string().default("127.0.0.1"),
  metricsPort: z.coerce.number().int().min(0).max(65535).default(9469),
  /** pino level. @default info */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
}).superRefine(checkNatsConfig);

/** A validated, frozen reconciler configuration. */
export type ReconcilerConfig = Readonly<z.infer<typeof reconcilerConfigSchema>>;

/** Loads the configuration from `env`; throws `ConfigError` listing every problem. */
export function loadReconcilerConfig(env: Readonly<Record<string, string | undefined>>): ReconcilerConfig {
  return loadConfig(reconcilerConfigSchema, { service: "reconciler", env, envPrefix: "FULCRUM_RECONCILER_", aliases: { ...NATS_ENV_ALIASES, LOG_LEVEL: "logLevel" } });
}
