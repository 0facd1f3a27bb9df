import type { StageAssignment } from "@fulcrum/core";
import { compilePredictorConfig, type LstmWeights } from "@fulcrum/core/forecast";
import { POLICIES, type PolicyLimits, type PolicyStage } from "@fulcrum/core/policies";
import { generateBandwidthTrace, parseBandwidthLog, serverBudgetsMs, sliceTraceWindow, TWITTER_WINDOWS } from "@fulcrum/core/workload";
import { ExperimentConfigError } from "../errors.js";
import { combinePerfModels } from "../profiles/perf-models.js";
import type { Scenario } from "../scenario.js";
import { perfServiceTime } from "../service-time.js";
import { ipaBaseAllocation } from "./base-allocation.js";
import type { BudgetsSpec, ExperimentSpec, PolicySpec } from "./schema.js";
import { stageModels, type FileContents } from "./stage-profiles.js";

/** What an experiment reads from outside, loaded by `@fulcrum/sim/node` (or a test). */
export interface ExperimentData {
  /** The per-second Twitter trace (`loadTwitterTrace()`). */
  readonly twitter: readonly number[];
  /** Contents of the files the experiment's profile sets name, by the path as written. */
  readonly files: FileContents;
  /** The predictor's LSTM (the committed default model); without it `lstm` cannot be served. */
  readonly lstm?: LstmWeights;
}

/** One run of an experiment: a pattern × a policy. */
export interface PlannedRun {
  readonly pattern: string;
  readonly policy: string;
  readonly scenario: Scenario;
}

/** Options of {@link planRuns}. */
export interface PlanOptions {
  /** Profile set (`paper`, `measured`). @default the experiment's `defaultProfiles` */
  readonly profiles?: string;
  /** @default the experiment's seed */
  readonly seed?: number;
  /** Only these policy labels. @default all */
  readonly policies?: readonly string[];
  /** Only these patterns. @default all */
  readonly patterns?: readonly string[];
  /**
   * One forecaster for every policy (a sensitivity check: the same λ̂ process for all, so policies
   * differ only in what they decide). @default each policy's own
   */
  readonly forecast?: { readonly serve: string; readonly value: "point" | "upper"; readonly marginFraction: number; readonly binS?: number; readonly horizonS?: number; readonly tickS?: number };
}

/**
 * Turns an experiment definition into its runs (every pattern × policy), resolving profiles,
 * workload windows, budgets, forecasters and per-policy overrides. All runs of a pattern share
 * one seed, so every policy sees the same arrivals and service-time draws (common random numbers).
 * @throws ExperimentConfigError naming the key that cannot be resolved
 */
export function planRuns(spec: ExperimentSpec, data: ExperimentData, options: PlanOptions = {}): PlannedRun[] {
  const setName = options.profiles ?? spec.defaultProfiles;
  const set = spec.profiles[setName];
  if (!set) throw new ExperimentConfigError(spec.id, [{ key: "profiles", message: `no profile set "${setName}" (have ${Object.keys(spec.profiles).join(", ")})` }]);
  const seed = options.seed ?? spec.seed;
  const sloMs = set.sloMs ?? spec.sloMs;
  const models = spec.pipeline.stages.map((st) => stageModels(set.stages[st.name]!, st.variants, data.files, `${spec.id}: profiles.${setName}.stages.${st.name}`));
  const stages: PolicyStage[] = spec.pipeline.stages.map((st, i) => ({ name: st.name, variants: models[i]!.variants }));
  const planning = combinePerfModels(models.map((m) => m.planning));
  const withSpread = models.flatMap((m) => (m.p99 ? [m.p99] : []));
  const service = perfServiceTime({ median: combinePerfModels(models.map((m) => m.median)), ...(withSpread.length > 0 ? { p99: combinePerfModels(withSpread) } : {}) });
  const limits: PolicyLimits = { ...spec.limits, ...set.limits };
  const maxBatch = Math.max(...limits.batches, ...spec.policies.flatMap((p) => [...(p.limits?.batches ?? []), ...Object.values(p.initial ?? {}).flat().map((a) => a.batch)]));
  const patterns = Object.entries(spec.workload.patterns).filter(([p]) => !options.patterns || options.patterns.includes(p));
  const policies = spec.policies.filter((p) => !options.policies || options.policies.includes(p.name));
  for (const [what, wanted, have] of [["patterns", options.patterns, Object.keys(spec.workload.patterns)], ["policies", options.policies, spec.policies.map((p) => p.name)]] as const) {
    const unknown = (wanted ?? []).filter((w) => !have.includes(w));
    if (unknown.length > 0) throw new ExperimentConfigError(spec.id, [{ key: what, message: `unknown ${unknown.join(", ")} (have ${have.join(", ")})` }]);
  }
  const runs: PlannedRun[] = [];
  for (const [pattern, p] of patterns) {
    const counts = "constant" in p
      ? new Array<number>(p.constant.durationS).fill(p.constant.rps)
      : sliceTraceWindow(data.twitter, typeof p.window === "string" ? TWITTER_WINDOWS[p.window] : p.window);
    const scale = p.scale * set.loadScale;
    const budgetsMs = spec.workload.budgets ? budgetsFor(spec.workload.budgets, sloMs, data.files, `${spec.id}: workload.budgets`) : undefined;
    const firstPeak = Math.max(0, ...counts.slice(0, 10)) * scale;
    for (const pol of policies) {
      const shared = { stages, planning, service, limits, sloMs, counts, scale, budgetsMs, firstPeak, maxBatch, seed, lstm: data.lstm, forecast: options.forecast };
      runs.push({ pattern, policy: pol.name, scenario: scenarioFor(spec, pol, shared) });
    }
  }
  return runs;
}

/** Sponge's per-second budgets `SLO − payload/bandwidth` from the synthetic trace or a bandwidth log. */
function budgetsFor(spec: BudgetsSpec, sloMs: number, files: FileContents, key: string): number[] {
  let mbps: readonly number[];
  if (spec.kind === "bandwidth") mbps = generateBandwidthTrace({ seed: spec.seed, durationS: spec.durationS });
  else {
    const text = files.get(spec.file);
    if (text === undefined) throw new ExperimentConfigError(key, [{ key: "file", message: `${spec.file} was not loaded` }]);
    try {
      mbps = parseBandwidthLog(text);
    } catch (err) {
      throw new ExperimentConfigError(key, [{ key: "file", message: `${spec.file}: ${(err as Error).message}` }], { cause: err });
    }
  }
  return serverBudgetsMs(mbps, { sloMs, payloadBytes: spec.payloadBytes });
}

/**
 * Solve time limit given to solver-using policies unless their config sets one, ms. Virtual time
 * does not pass while a policy solves, so a wall-clock limit would only make results depend on how
 * busy the machine is (a solve cut short returns a worse incumbent); this one is never meant to bind.
 */
export const SIM_SOLVE_TIME_LIMIT_MS = 120_000;

interface Shared {
  readonly stages: readonly PolicyStage[];
  readonly planning: Scenario["planning"];
  readonly service: Scenario["service"];
  readonly limits: PolicyLimits;
  readonly sloMs: number;
  readonly counts: readonly number[];
  readonly scale: number;
  readonly budgetsMs: readonly number[] | undefined;
  readonly firstPeak: number;
  readonly maxBatch: number;
  readonly seed: number;
  readonly lstm: LstmWeights | undefined;
  readonly forecast: PlanOptions["forecast"];
}

function scenarioFor(spec: ExperimentSpec, pol: PolicySpec, s: Shared): Scenario {
  const key = `${spec.id}: policies.${pol.name}`;
  const control = { ...spec.control, ...pol.control };
  const forecast = { ...spec.control.forecast, ...(s.forecast ?? pol.control?.forecast) };
  // The LSTM joins the forecasters only where its bins and horizon are the predictor's.
  const lstm = s.lstm && s.lstm.binS === forecast.binS && s.lstm.horizonBins * s.lstm.binS === forecast.horizonS ? s.lstm : undefined;
  let predictor;
  try {
    predictor = compilePredictorConfig({
      ...(lstm ? { lstm } : {}), serve: forecast.serve, binS: forecast.binS, horizonS: forecast.horizonS,
      margin: { underPredictionRate: forecast.underPredictionRate },
    });
  } catch (err) {
    throw new ExperimentConfigError(key, [{ key: "control.forecast.serve", message: (err as Error).message }], { cause: err });
  }
  const limits: PolicyLimits = { ...s.limits, ...pol.limits };
  const actuation = { ...spec.actuation, ...pol.actuation };
  const stages = pol.baseAllocation ? ipaBaseAllocation(s.stages, s.planning, limits, pol.baseAllocation.thresholdRps, s.sloMs / s.stages.length) : s.stages;
  const initial: Scenario["initial"] = pol.initial
    ? spec.pipeline.stages.map((st): StageAssignment => ({
        stage: st.name,
        variants: (pol.initial![st.name] ?? []).map((a) => ({ variant: a.variant, weight: a.weight, batch: a.batch, coresPerReplica: a.coresPerReplica, replicas: a.replicas })),
      }))
    : { decideAtRps: s.firstPeak };
  return {
    label: pol.name,
    pipeline: spec.pipeline.name,
    stages,
    sloMs: s.sloMs,
    workload: { kind: "trace", countsPerSecond: s.counts, scale: s.scale, ...(s.budgetsMs ? { budgetsMs: s.budgetsMs } : {}) },
    planning: s.planning,
    service: s.service,
    policy: { name: pol.policy, config: { ...(POLICIES[pol.policy].usesSolver ? { solveTimeLimitMs: SIM_SOLVE_TIME_LIMIT_MS } : {}), ...(POLICIES[pol.policy].pricesActuation ? actuationCosts(actuation) : {}), ...pol.config } },
    limits,
    control: {
      intervalMs: control.intervalMs,
      firstDecisionMs: control.firstDecisionMs ?? control.intervalMs,
      loadWindowMs: control.loadWindowMs ?? 10_000,
      forecast: {
        predictor, value: forecast.value, marginFraction: forecast.marginFraction, tickMs: forecast.tickS * 1000,
        observedFloorMs: forecast.observedFloorS !== undefined ? forecast.observedFloorS * 1000 : control.intervalMs,
      },
    },
    actuation,
    replica: { ...spec.replica, maxBatch: s.maxBatch },
    initial,
    seed: s.seed,
  };
}

/**
 * What a policy that prices actuation (`pricesActuation`) is told a new replica's start-up before
 * its model loads and a core change in place cost: the simulated system's own times, unless the
 * experiment's policy config sets them. A policy told 1 s while the system takes 5 s would plan
 * scale-outs whose start-up loss it does not see.
 */
function actuationCosts(a: { readonly replicaStartMs: number; readonly warmupMs: number; readonly inPlaceChangeMs: number }): { replicaStartMs: number; inPlaceChangeMs: number } {
  return { replicaStartMs: a.replicaStartMs + a.warmupMs, inPlaceChangeMs: a.inPlaceChangeMs };
}
