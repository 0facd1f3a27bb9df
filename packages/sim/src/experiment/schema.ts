import { POLICIES, POLICY_NAMES } from "@fulcrum/core/policies";
import { TWITTER_WINDOWS } from "@fulcrum/core/workload";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ACTUATION_MODES } from "../actuation.js";
import { ExperimentConfigError } from "../errors.js";

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, "use only letters, digits, '_', '.' and '-'");
const positiveInts = z.array(z.number().int().min(1)).min(1);
const windowNames = Object.keys(TWITTER_WINDOWS) as [keyof typeof TWITTER_WINDOWS, ...(keyof typeof TWITTER_WINDOWS)[]];

/** A slice of the Twitter trace: a named window of the papers, or explicit segments. */
const windowSchema = z.union([
  z.enum(windowNames),
  z.strictObject({
    /** `[start, end)` second indices into the trace, concatenated. */
    segments: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)])).min(1),
    /** Counts are divided by this and truncated (IPA's damping). @default 1 */
    damping: z.number().positive().default(1),
  }),
]);

/**
 * A constant load instead of a trace window: `rps` requests in every second for `durationS`
 * seconds (Poisson spacing within each second, as for a window): Sponge's static workload
 * (`loads_to_test` requests per second for `load_duration`).
 */
const constantSchema = z.strictObject({ rps: z.number().int().min(0), durationS: z.number().int().min(1) });

/** One workload pattern: a window of the trace (or a constant load) and a multiplier. */
const patternSchema = z.union([
  windowSchema.transform((window) => ({ window, scale: 1 })),
  z.strictObject({ window: windowSchema, /** Multiplier of every count. @default 1 */ scale: z.number().positive().default(1) }),
  z.strictObject({ constant: constantSchema, /** Multiplier of every count. @default 1 */ scale: z.number().positive().default(1) }),
]);

/** Bytes uploaded per request (Sponge's YOLO input 253×400×3 = 303 600). */
const payloadBytes = z.number().int().positive();

/**
 * Sponge's per-request budgets `budget = SLO − payload/bandwidth`, one per second (every request
 * of second t gets second t's, tiled over the run), from a bandwidth trace:
 * - `bandwidth`: a synthetic trace shaped like Sponge's 4G bus log (`generateBandwidthTrace`);
 * - `bandwidth-log`: a log in Sponge's format (one line per second: `timestampMs elapsedMs lat lon
 *   bytes durationMs`; bandwidth = bytes / durationMs), e.g. the log Sponge replays.
 */
const budgetsSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("bandwidth"),
    /** Seed of the bandwidth trace (`generateBandwidthTrace`). */
    seed: z.number().int().min(0),
    payloadBytes,
    /** Length of the bandwidth trace before it is tiled over the run, s. @default 600 (Sponge's 10-minute log) */
    durationS: z.number().int().min(2).default(600),
  }),
  z.strictObject({
    kind: z.literal("bandwidth-log"),
    /** The log, relative to the repository root. */
    file: z.string().min(1),
    payloadBytes,
  }),
]);
export type BudgetsSpec = z.output<typeof budgetsSchema>;

/** Where a stage's variants get their speed (planning and ground truth), accuracy and load time. */
const stageProfileSchema = z.discriminatedUnion("source", [
  /**
   * A profile measured here (`fulcrum profile`, e.g. `profiles/yolo.json`): policies plan with
   * `planningStatistic`; service times are lognormal between the measured p50 and p99.
   */
  z.strictObject({ source: z.literal("measured"), file: z.string().min(1), planningStatistic: z.enum(["p50", "p95", "p99", "mean"]).default("p99") }),
  /**
   * Sponge's YOLOv5 grid (CSV `batch,cores,latency_ms`) for `variant`, with Sponge's reported fit
   * between the grid points; other variants of the stage are that surface times their median
   * latency ratio to `variant` in the measured profile `scaleFrom` (at its p50).
   */
  z.strictObject({ source: z.literal("sponge-grid"), file: z.string().min(1), variant: z.string().min(1), scaleFrom: z.string().min(1).optional() }),
  /**
   * InfAdapter's capacity CSV as service times (see `capacityServicePerf`); policies plan with
   * InfAdapter's own linear capacity models (`capacity-lines`) or the same service times (`service`).
   */
  z.strictObject({ source: z.literal("infadapter-capacity"), file: z.string().min(1), planning: z.enum(["capacity-lines", "service"]).default("service") }),
]);
export type StageProfileSpec = z.output<typeof stageProfileSchema>;

const limitsOverrideSchema = z.strictObject({
  maxCores: z.number().int().min(1).optional(),
  batches: positiveInts.optional(),
  coresPerReplica: positiveInts.optional(),
  maxReplicas: z.number().int().min(1).optional(),
});

/** A set of per-stage profiles (`paper` or `measured`), with optional overrides for that set. */
const profileSetSchema = z.strictObject({
  stages: z.record(name, stageProfileSchema),
  /** End-to-end SLO with this set, ms. @default the experiment's `sloMs` */
  sloMs: z.number().positive().optional(),
  /** Multiplies every pattern's scale with this set (e.g. faster local models take more load). @default 1 */
  loadScale: z.number().positive().default(1),
  /** Overrides of the experiment's `limits` with this set (e.g. the cores measured here). */
  limits: limitsOverrideSchema.optional(),
});
export type ProfileSetSpec = z.output<typeof profileSetSchema>;

const forecastFields = {
  /** Forecaster served: `best` (lowest rolling error), or a name (`lstm`, `ewma`, `last-value`, `moving-max`, `holt`). @default "best" */
  serve: z.string().min(1),
  /** λ̂ = the point forecast or its conformal upper bound. @default "upper" */
  value: z.enum(["point", "upper"]),
  /** Extra headroom: λ̂·(1 + marginFraction). @default 0 */
  marginFraction: z.number().min(0),
  /**
   * Seconds per load bin the forecasters read (each bin keeps its peak second). The LSTM serves
   * only at its own bins (10 s). 1 with `last-value` = react to the last second (Sponge). @default 10
   */
  binS: z.number().int().min(1),
  /** Span the forecast peak covers, s (a multiple of binS). @default 20 */
  horizonS: z.number().int().min(1),
  /** Seconds between the predictor's forecasts (its own cadence; decisions use the latest). @default 10 */
  tickS: z.number().int().min(1),
  /** Share of intervals whose peak may exceed the upper bound (the conformal margin's α). @default 0.1 (the predictor service's) */
  underPredictionRate: z.number().gt(0).lt(1),
  /**
   * λ̂ is never below the highest per-second arrivals of the last `observedFloorS` seconds
   * (`decisionRate` in `@fulcrum/core/control`); 0 = the forecast alone, as the papers' controllers
   * plan. @default the decision interval, as the optimizer's `observedFloorWindowMs`
   */
  observedFloorS: z.number().int().min(0),
};
/** A policy's forecast settings: only the keys given replace the experiment's. */
const forecastOverrideSchema = z.strictObject(forecastFields).partial();
/** The experiment's forecast settings, with defaults. */
const forecastSchema = z.strictObject({
  serve: forecastFields.serve.default("best"),
  value: forecastFields.value.default("upper"),
  marginFraction: forecastFields.marginFraction.default(0),
  binS: forecastFields.binS.default(10),
  horizonS: forecastFields.horizonS.default(20),
  tickS: forecastFields.tickS.default(10),
  underPredictionRate: forecastFields.underPredictionRate.default(0.1),
  observedFloorS: forecastFields.observedFloorS.optional(),
});

const controlSchema = z.strictObject({
  /** Decision period, ms. */
  intervalMs: z.number().int().min(100).optional(),
  /** First decision, ms from the start. @default intervalMs */
  firstDecisionMs: z.number().int().min(0).optional(),
  /** Per-second budget samples a decision considers, ms back. @default 10000 */
  loadWindowMs: z.number().int().min(1000).optional(),
  forecast: forecastOverrideSchema.optional(),
});

/**
 * Limits of Fulcrum's reconciler (mode `in-place`): replicas starting at once and actions per pass.
 * @default the live reconciler's, 2 and 8
 */
const reconcilerLimitsShape = {
  maxConcurrentStarts: z.number().int().min(1).optional(),
  maxActionsPerPass: z.number().int().min(1).optional(),
};

const actuationSchema = z.strictObject({
  mode: z.enum(ACTUATION_MODES).optional(),
  /** A new replica's start before its model loads (process/pod start), ms. */
  replicaStartMs: z.number().min(0).optional(),
  /** Warm-up after loading, before ready, ms. */
  warmupMs: z.number().min(0).optional(),
  /** In-place core change, ms. */
  inPlaceChangeMs: z.number().min(0).optional(),
  ...reconcilerLimitsShape,
});

const allocationSchema = z.strictObject({
  variant: z.string().min(1),
  batch: z.number().int().min(1).default(1),
  coresPerReplica: z.number().int().min(1),
  replicas: z.number().int().min(1).default(1),
  weight: z.number().gt(0).max(1).default(1),
});

/** One policy run of the experiment. */
const policySchema = z.strictObject({
  /** Label in the summary (`vpa-resnet50`). */
  name,
  /** A policy of `@fulcrum/core/policies`. */
  policy: z.enum(POLICY_NAMES),
  /** The policy's own config (validated against its schema). @default {} */
  config: z.record(z.string(), z.unknown()).default({}),
  control: controlSchema.optional(),
  actuation: actuationSchema.optional(),
  /** Overrides of the experiment's `limits` for this policy (Sponge's FA2 runs 1-core replicas). */
  limits: limitsOverrideSchema.optional(),
  /**
   * IPA's base allocation: each variant's fixed cores per replica = the fewest cores of the
   * candidate grid at which some candidate batch reaches `thresholdRps` within the stage's share of
   * the SLO, never fewer than a less accurate variant of the stage. Absent: cores are the policy's choice.
   */
  baseAllocation: z.strictObject({ thresholdRps: z.number().positive() }).optional(),
  /** What runs at t = 0 per stage; absent: the policy's own decision for the first 10 s peak. */
  initial: z.record(name, z.array(allocationSchema).min(1)).optional(),
});
export type PolicySpec = z.output<typeof policySchema>;

/** An experiment definition (`experiments/<id>.yaml`). Every key is documented here. */
export const experimentSchema = z.strictObject({
  /** Stable id (`e1-infadapter`); the file name without `.yaml`. */
  id: name,
  title: z.string().min(1),
  /** What it reproduces and how, for the report. */
  description: z.string().min(1),
  /** Key of the published numbers in `experiments/paper-results.json`. */
  paper: z.string().min(1).optional(),
  /** Pipeline: a linear chain of stages, each with the variants it may run. */
  pipeline: z.strictObject({
    name,
    stages: z.array(z.strictObject({ name, variants: z.array(z.string().min(1)).min(1) })).min(1),
  }),
  /** End-to-end latency SLO, ms. */
  sloMs: z.number().positive(),
  workload: z.strictObject({
    trace: z.literal("twitter"),
    /** Named patterns; one run per pattern and policy (E2: IPA's four). */
    patterns: z.record(name, patternSchema).refine((p) => Object.keys(p).length > 0, "give at least one pattern"),
    budgets: budgetsSchema.optional(),
  }),
  /** Profile sets by name (`paper`, `measured`); `fulcrum experiment run --profiles <set>`. */
  profiles: z.record(name, profileSetSchema).refine((p) => Object.keys(p).length > 0, "give at least one profile set"),
  /** Profile set used unless the command names one. */
  defaultProfiles: name,
  /** Candidate grid and caps every policy shares. */
  limits: z.strictObject({
    maxCores: z.number().int().min(1),
    batches: positiveInts,
    coresPerReplica: positiveInts,
    maxReplicas: z.number().int().min(1),
  }),
  /** Control-loop defaults (each policy may override). */
  control: controlSchema.extend({ intervalMs: z.number().int().min(100), forecast: forecastSchema.default({ serve: "best", value: "upper", marginFraction: 0, binS: 10, horizonS: 20, tickS: 10, underPredictionRate: 0.1 }) }),
  /** Actuation defaults (each policy may override). */
  actuation: z.strictObject({
    mode: z.enum(ACTUATION_MODES),
    replicaStartMs: z.number().min(0),
    warmupMs: z.number().min(0).default(0),
    inPlaceChangeMs: z.number().min(0),
    ...reconcilerLimitsShape,
  }),
  /** The stage replicas' batcher settings (the stage service's). */
  replica: z.strictObject({
    maxQueueDelayMs: z.number().min(0).default(5),
    maxQueueSize: z.number().int().min(1).default(1024),
    safetyMarginMs: z.number().min(0).default(2),
  }).default({ maxQueueDelayMs: 5, maxQueueSize: 1024, safetyMarginMs: 2 }),
  /** Default seed (`--seed` overrides). */
  seed: z.number().int().min(0).default(1),
  policies: z.array(policySchema).min(1),
});
export type ExperimentSpec = z.output<typeof experimentSchema>;

function keyOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : `${out === "" ? "" : "."}${String(k)}`;
  return out === "" ? "(root)" : out;
}

/**
 * Validates an experiment document (parsed YAML or an object), including the checks across keys:
 * unique policy names, profile stages matching pipeline stages, the default profile set existing,
 * initial allocations naming known stages and variants, and every policy config against its
 * policy's schema. @throws ExperimentConfigError listing every problem by key
 */
export function parseExperiment(doc: unknown, source: string): ExperimentSpec {
  const r = experimentSchema.safeParse(doc);
  if (!r.success) throw new ExperimentConfigError(source, r.error.issues.map((i) => ({ key: keyOf(i.path), message: i.message })));
  const e = r.data;
  const issues: { key: string; message: string }[] = [];
  const stageNames = e.pipeline.stages.map((s) => s.name);
  const seen = new Set<string>();
  e.pipeline.stages.forEach((s, i) => {
    if (seen.has(s.name)) issues.push({ key: `pipeline.stages[${i}].name`, message: `duplicate stage "${s.name}"` });
    seen.add(s.name);
  });
  if (!(e.defaultProfiles in e.profiles)) issues.push({ key: "defaultProfiles", message: `no profile set "${e.defaultProfiles}" (have ${Object.keys(e.profiles).join(", ")})` });
  for (const [set, p] of Object.entries(e.profiles)) {
    for (const st of stageNames) if (!(st in p.stages)) issues.push({ key: `profiles.${set}.stages`, message: `no profile for stage "${st}"` });
    for (const st of Object.keys(p.stages)) if (!stageNames.includes(st)) issues.push({ key: `profiles.${set}.stages.${st}`, message: `not a pipeline stage (stages: ${stageNames.join(", ")})` });
  }
  const labels = new Set<string>();
  e.policies.forEach((p, i) => {
    if (labels.has(p.name)) issues.push({ key: `policies[${i}].name`, message: `duplicate policy label "${p.name}"` });
    labels.add(p.name);
    for (const [st, allocs] of Object.entries(p.initial ?? {})) {
      const stage = e.pipeline.stages.find((s) => s.name === st);
      if (!stage) issues.push({ key: `policies[${i}].initial.${st}`, message: `not a pipeline stage (stages: ${stageNames.join(", ")})` });
      else allocs.forEach((a, k) => {
        if (!stage.variants.includes(a.variant)) issues.push({ key: `policies[${i}].initial.${st}[${k}].variant`, message: `"${a.variant}" is not a variant of stage "${st}" (${stage.variants.join(", ")})` });
      });
    }
    const cfg = POLICIES[p.policy].configSchema.safeParse(p.config);
    if (!cfg.success) for (const x of cfg.error.issues) issues.push({ key: keyOf([`policies[${i}]`, "config", ...x.path]), message: `${p.policy}: ${x.message}` });
  });
  if (issues.length > 0) throw new ExperimentConfigError(source, issues);
  return e;
}

/** Parses YAML text then {@link parseExperiment}. @throws ExperimentConfigError (YAML syntax errors name `(root)`) */
export function parseExperimentYaml(text: string, source: string): ExperimentSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ExperimentConfigError(source, [{ key: "(root)", message: `not valid YAML: ${(err as Error).message}` }], { cause: err });
  }
  return parseExperiment(doc, source);
}
