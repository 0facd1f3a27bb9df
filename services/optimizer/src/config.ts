import { readFileSync } from "node:fs";
import { isAbsolute, resolve as resolvePath, dirname } from "node:path";
import { compilePipeline, POLICIES, POLICY_NAMES, PolicyInputError, type PolicyStage } from "@fulcrum/core/policies";
import { createPerfModel, fitSpongeLatency, parseProfileJson, variantPoints, type Profile } from "@fulcrum/core/perf";
import { checkNatsConfig, ConfigError, loadConfig, messageLimitsShape, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'");
const positiveInts = z.array(z.number().int().min(1)).min(1);

/** Sponge's latency model `l(b,c) = γ·b/c + δ·b + ε/c + η`, ms. */
const fitSchema = z.object({
  gammaMs: z.number().min(0),
  deltaMs: z.number().min(0),
  epsilonMs: z.number().min(0),
  etaMs: z.number().min(0),
}).strict();

/** One model variant of a stage, with its accuracy and performance model. */
export const variantSpecSchema = z.object({
  /** Variant name; unique in the pipeline (it keys the perf model and the Assignment). */
  name,
  /** Accuracy in (0, 1] (top-1, mAP, …). */
  accuracy: z.number().gt(0).max(1),
  /** Cold-start model load time of a new replica, ms. @default 0 */
  loadTimeMs: z.number().min(0).optional(),
  /** Fixed cores per replica (IPA's base allocation); absent: the policy chooses. */
  baseCoresPerReplica: z.number().int().min(1).optional(),
  /**
   * Latency profile: measured (batch, cores) points and/or a fitted model. At least one. Absent:
   * taken from the spec's `profile` file (points of its statistic + Sponge fit, and the variant's
   * measured `loadTimeMs` unless the spec gives one).
   */
  perf: z.object({
    measured: z.array(z.object({ batch: z.number().int().min(1), cores: z.number().int().min(1), latencyMs: z.number().gt(0) }).strict()).optional(),
    fit: fitSchema.optional(),
  }).strict().refine((p) => (p.measured?.length ?? 0) > 0 || p.fit !== undefined, { message: "give perf.measured points, a perf.fit, or both" }).optional(),
}).strict();

/**
 * The pipeline the optimizer decides for: stages with their variants, DAG edges and the SLO.
 * Usually a YAML file (`specFile`), see `services/optimizer/examples/`.
 */
export const pipelineSpecSchema = z.object({
  stages: z.array(z.object({ name, variants: z.array(variantSpecSchema).min(1) }).strict()).min(1),
  /** DAG edges `[from, to]` by stage name. @default a chain in `stages` order */
  edges: z.array(z.tuple([name, name])).optional(),
  /** End-to-end SLO, ms; the top-level `sloMs` key overrides it. */
  sloMs: z.number().positive().optional(),
  /**
   * A measured profile (`fulcrum profile` output, e.g. `profiles/fashion.json`; a relative path is
   * resolved against the spec file's folder) supplying the perf model of every variant without
   * its own `perf`: the points of `statistic` plus their Sponge fit. `latencyScale` multiplies every
   * latency read from it (a what-if: hardware that many times slower; 1 = as measured).
   */
  profile: z
    .object({ file: z.string().min(1), statistic: z.enum(["p50", "p95", "p99"]).default("p99"), latencyScale: z.number().positive().default(1) })
    .strict()
    .optional(),
}).strict();
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;

/** Policy limits: the candidate grid and resource caps. */
const limitsSchema = z.object({
  /** Total cores over the pipeline. @default 64 */
  maxCores: z.number().int().min(1).default(64),
  /** Candidate batch sizes. @default [1, 2, 4, 8] */
  batches: positiveInts.default([1, 2, 4, 8]),
  /** Candidate cores per replica. @default [1, 2, 4, 8] */
  coresPerReplica: positiveInts.default([1, 2, 4, 8]),
  /** Replicas per variant of a stage. @default 16 */
  maxReplicas: z.number().int().min(1).default(16),
}).strict();

/**
 * Optimizer configuration. Env: `FULCRUM_OPTIMIZER_<KEY>` (e.g. `FULCRUM_OPTIMIZER_INTERVAL_MS`;
 * objects as JSON), `NATS_URL`, `LOG_LEVEL`, or a YAML file at `FULCRUM_OPTIMIZER_CONFIG`.
 */
export const optimizerConfigSchema = z.object({
  /** Pipeline name (subject token). */
  pipeline: name,
  /** Policy run every interval (a key of `POLICIES`). @default "fulcrum" */
  policy: z.enum(POLICY_NAMES).default("fulcrum"),
  /** The policy's own config, validated against its schema at start-up. @default {} */
  policyConfig: z.record(z.string(), z.unknown()).default({}),
  /** Path of the pipeline spec YAML (relative to the working directory). One of `specFile`/`spec`. */
  specFile: z.string().min(1).optional(),
  /** The pipeline spec inline. One of `specFile`/`spec`. */
  spec: z.unknown().optional(),
  /** End-to-end SLO, ms. @default the spec's `sloMs` */
  sloMs: z.coerce.number().positive().optional(),
  /** Decision period, ms. @default 10000 */
  intervalMs: z.coerce.number().int().min(20).default(10_000),
  /** Which forecast value is λ̂: `upper` (point + conformal margin; `peak` when absent) or `peak`. @default "upper" */
  forecastValue: z.enum(["upper", "peak"]).default("upper"),
  /** A forecast older than this is stale and the last assignment is kept, ms. @default 3 × intervalMs */
  forecastMaxAgeMs: z.coerce.number().int().positive().optional(),
  /**
   * λ̂ is never below the highest arrival rate of the load samples that end within this many ms
   * before a decision (the forecast, made on the predictor's cadence, can lag a burst the monitor
   * already reported); 0 = the forecast alone, as the papers' controllers plan. @default intervalMs
   */
  observedFloorWindowMs: z.coerce.number().int().min(0).optional(),
  /** Load samples (per-request budget quantiles) considered, ms back from now. @default 10000 */
  loadWindowMs: z.coerce.number().int().positive().default(10_000),
  /** Policy limits. */
  limits: limitsSchema.default({ maxCores: 64, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8], maxReplicas: 16 }),
  /** Versions whose acks are kept. @default 32 */
  ackHistory: z.coerce.number().int().min(1).default(32),
  /**
   * A version not acked by every ready replica of the stages it names this long after it was
   * written is broadcast again (and the silent replicas logged), ms. @default 15000
   */
  ackTimeoutMs: z.coerce.number().int().positive().default(15_000),
  /** Re-broadcasts of one version before the optimizer gives up on the replicas still silent (logged). @default 3 */
  ackRetries: z.coerce.number().int().min(0).default(3),
  /** A replica whose registry heartbeat is older than this has vanished (logged, counted, no ack expected), ms. @default 6000 */
  replicaStaleMs: z.coerce.number().int().positive().default(6000),
  /** First wait before retrying an Assignment not yet written to KV (NATS away), ms; doubles up to 5 s. @default 1000 */
  kvRetryMs: z.coerce.number().int().positive().default(1000),
  /** Bounds of forecasts and load samples it accepts: `maxRps` and `maxClockSkewMs` (beyond them a message is refused, naming the field). */
  ...messageLimitsShape,
  /** NATS server, user (`optimizer` in `infra/nats.conf`) and TLS: `NATS_URL`, `NATS_USER`, `NATS_PASSWORD`, `NATS_TLS_*`. */
  ...natsConfigShape,
  /** Prometheus `/metrics` host. @default 127.0.0.1 */
  metricsHost: z.string().default("127.0.0.1"),
  /** Prometheus `/metrics` port; 0 picks a free one. @default 9464 */
  metricsPort: z.coerce.number().int().min(0).max(65535).default(9464),
  /** pino level. @default info */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
}).superRefine((cfg, ctx) => {
  checkNatsConfig(cfg, ctx);
  const parsed = POLICIES[cfg.policy].configSchema.safeParse(cfg.policyConfig);
  if (!parsed.success) {
    for (const i of parsed.error.issues) ctx.addIssue({ code: "custom", path: ["policyConfig", ...i.path.map(String)], message: `${cfg.policy}: ${i.message}` });
  }
  if ((cfg.specFile === undefined) === (cfg.spec === undefined)) {
    ctx.addIssue({ code: "custom", path: ["specFile"], message: "give exactly one of specFile (a YAML path) or spec (inline)" });
    return;
  }
  const got = readSpec(cfg.specFile, cfg.spec);
  if ("error" in got) {
    ctx.addIssue({ code: "custom", path: ["specFile"], message: got.error });
    return;
  }
  const at = cfg.specFile !== undefined ? "specFile" : "spec";
  const spec = pipelineSpecSchema.safeParse(got.raw);
  if (!spec.success) {
    for (const i of spec.error.issues) ctx.addIssue({ code: "custom", path: [at, ...i.path.map(String)], message: i.message });
    return;
  }
  const completed = applyProfile(spec.data, specBaseDir(cfg.specFile));
  if ("issues" in completed) {
    for (const issue of completed.issues) ctx.addIssue({ code: "custom", path: [at, ...issue.path], message: issue.message });
    return;
  }
  for (const issue of checkSpec(completed.spec)) ctx.addIssue({ code: "custom", path: [at, ...issue.path], message: issue.message });
  if (cfg.sloMs === undefined && spec.data.sloMs === undefined) ctx.addIssue({ code: "custom", path: ["sloMs"], message: "set sloMs here or in the pipeline spec" });
});

/** The parsed config (spec not yet resolved). */
export type OptimizerConfigInput = z.output<typeof optimizerConfigSchema>;

/** A validated, frozen optimizer configuration with its pipeline spec resolved. */
export type OptimizerConfig = Readonly<Omit<OptimizerConfigInput, "spec" | "sloMs" | "forecastMaxAgeMs" | "observedFloorWindowMs"> & {
  /** The pipeline spec (from `specFile` or inline). */
  readonly spec: PipelineSpec;
  /** Effective SLO, ms. */
  readonly sloMs: number;
  /** Effective forecast staleness limit, ms. */
  readonly forecastMaxAgeMs: number;
  /** Effective floor window of λ̂, ms (0: off). */
  readonly observedFloorWindowMs: number;
}>;

function readSpec(specFile: string | undefined, inline: unknown): { raw: unknown } | { error: string } {
  if (specFile === undefined) return { raw: inline };
  try {
    return { raw: parseYaml(readFileSync(specFile, "utf8")) };
  } catch (err) {
    return { error: `cannot read pipeline spec ${specFile}: ${(err as Error).message}` };
  }
}

/**
 * Fills the perf model of every variant without one from the spec's `profile` file. Returns the
 * completed spec, or issues naming what is wrong (unreadable file, variant missing from it).
 */
export function applyProfile(spec: PipelineSpec, baseDir: string): { spec: PipelineSpec } | { issues: { path: string[]; message: string }[] } {
  const issues: { path: string[]; message: string }[] = [];
  if (!spec.profile) {
    spec.stages.forEach((st, s) => st.variants.forEach((v, k) => {
      if (!v.perf) issues.push({ path: ["stages", String(s), "variants", String(k), "perf"], message: `variant "${v.name}" has no perf model: give perf, or a spec-level profile file` });
    }));
    return issues.length > 0 ? { issues } : { spec };
  }
  const file = isAbsolute(spec.profile.file) ? spec.profile.file : resolvePath(baseDir, spec.profile.file);
  let profile: Profile;
  try {
    profile = parseProfileJson(readFileSync(file, "utf8"), {}, file);
  } catch (err) {
    return { issues: [{ path: ["profile", "file"], message: `cannot use profile ${file}: ${(err as Error).message}` }] };
  }
  const statistic = spec.profile.statistic;
  const stages = spec.stages.map((st, s) => ({
    ...st,
    variants: st.variants.map((v, k) => {
      if (v.perf) return v;
      try {
        const scale = spec.profile!.latencyScale;
        const measured = variantPoints(profile, v.name, statistic).map((pt) => ({ ...pt, latencyMs: pt.latencyMs * scale }));
        const fit = measured.length >= 4 ? fitSpongeLatency(measured).coefficients : undefined;
        // A new replica's model load + warm-up, as measured with the profile (cold-start cost).
        const loadTimeMs = v.loadTimeMs ?? profile.variants.find((pv) => pv.name === v.name)?.loadTimeMs;
        return { ...v, perf: { measured, ...(fit ? { fit } : {}) }, ...(loadTimeMs !== undefined ? { loadTimeMs } : {}) };
      } catch (err) {
        issues.push({ path: ["stages", String(s), "variants", String(k), "name"], message: `profile ${file}: ${(err as Error).message}` });
        return v;
      }
    }),
  }));
  return issues.length > 0 ? { issues } : { spec: { ...spec, stages } };
}

function specBaseDir(specFile: string | undefined): string {
  return specFile !== undefined ? dirname(resolvePath(specFile)) : process.cwd();
}

/** Cross-field checks of a spec: unique variant names, a DAG over known stages, usable perf models. */
function checkSpec(spec: PipelineSpec): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const seen = new Map<string, string>();
  spec.stages.forEach((st, s) =>
    st.variants.forEach((v, k) => {
      const other = seen.get(v.name);
      if (other !== undefined) issues.push({ path: ["stages", String(s), "variants", String(k), "name"], message: `variant "${v.name}" also appears in stage "${other}": variant names must be unique in the pipeline` });
      seen.set(v.name, st.name);
    }),
  );
  try {
    compilePipeline({ ...toPolicyShape(spec), forecastRps: 0, sloMs: 1, limits: { maxCores: 1, batches: [1], coresPerReplica: [1], maxReplicas: 1 } });
  } catch (err) {
    if (!(err instanceof PolicyInputError)) throw err;
    issues.push({ path: err.field.split(/[.[\]]+/).filter(Boolean), message: err.message });
  }
  return issues;
}

/** Stages, edges and perf model of a spec, in the shape policies take. */
export function toPolicyShape(spec: PipelineSpec): Pick<Parameters<typeof compilePipeline>[0], "pipeline" | "stages" | "edges" | "perf"> {
  const stages: PolicyStage[] = spec.stages.map((st) => ({
    name: st.name,
    variants: st.variants.map((v) => ({
      name: v.name, accuracy: v.accuracy,
      ...(v.loadTimeMs !== undefined ? { loadTimeMs: v.loadTimeMs } : {}),
      ...(v.baseCoresPerReplica !== undefined ? { baseCoresPerReplica: v.baseCoresPerReplica } : {}),
    })),
  }));
  const perf = createPerfModel(Object.fromEntries(spec.stages.flatMap((st) => st.variants.map((v) => [v.name, {
    ...(v.perf?.measured ? { measured: v.perf.measured } : {}), ...(v.perf?.fit ? { fit: v.perf.fit } : {}),
  }]))));
  return { pipeline: "", stages, ...(spec.edges ? { edges: spec.edges } : {}), perf };
}

/**
 * Resolves a parsed config: reads the spec, applies the SLO and staleness defaults, freezes.
 * @throws ConfigError if the input fails {@link optimizerConfigSchema}.
 */
export function resolveOptimizerConfig(raw: unknown): OptimizerConfig {
  const parsed = optimizerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError("optimizer", parsed.error.issues.map((i) => ({ key: i.path.map(String).join(".") || "(root)", source: "input", message: i.message })));
  }
  return finish(parsed.data);
}

function finish(cfg: OptimizerConfigInput): OptimizerConfig {
  const got = readSpec(cfg.specFile, cfg.spec);
  // Validated by the schema's refinement moments ago.
  const completed = applyProfile(pipelineSpecSchema.parse("raw" in got ? got.raw : undefined), specBaseDir(cfg.specFile));
  if ("issues" in completed) throw new ConfigError("optimizer", completed.issues.map((i) => ({ key: i.path.join("."), source: "spec", message: i.message })));
  const spec = completed.spec;
  const { spec: _s, sloMs, forecastMaxAgeMs, observedFloorWindowMs, ...rest } = cfg;
  return Object.freeze({
    ...rest,
    spec,
    sloMs: sloMs ?? spec.sloMs!,
    forecastMaxAgeMs: forecastMaxAgeMs ?? 3 * cfg.intervalMs,
    observedFloorWindowMs: observedFloorWindowMs ?? cfg.intervalMs,
  });
}

/**
 * Loads the optimizer configuration from `env` (defaults, then the YAML file at
 * `FULCRUM_OPTIMIZER_CONFIG`, then `FULCRUM_OPTIMIZER_*` variables). A relative `specFile` in the
 * YAML file is resolved against that file's folder.
 * @throws ConfigError listing every bad, unknown or missing key (spec problems included).
 */
export function loadOptimizerConfig(env: Readonly<Record<string, string | undefined>>): OptimizerConfig {
  const file = env.FULCRUM_OPTIMIZER_CONFIG;
  let specEnv = env;
  if (file && env.FULCRUM_OPTIMIZER_SPEC_FILE === undefined) {
    // Resolve the file's own relative specFile before validation reads it.
    try {
      const doc = parseYaml(readFileSync(file, "utf8")) as { specFile?: unknown } | null;
      if (doc && typeof doc.specFile === "string" && !isAbsolute(doc.specFile)) {
        specEnv = { ...env, FULCRUM_OPTIMIZER_SPEC_FILE: resolvePath(dirname(file), doc.specFile) };
      }
    } catch {
      // loadConfig reports an unreadable file.
    }
  }
  const cfg = loadConfig(optimizerConfigSchema, {
    service: "optimizer",
    env: specEnv,
    envPrefix: "FULCRUM_OPTIMIZER_",
    aliases: { ...NATS_ENV_ALIASES, LOG_LEVEL: "logLevel" },
  });
  return finish(cfg as OptimizerConfigInput);
}
