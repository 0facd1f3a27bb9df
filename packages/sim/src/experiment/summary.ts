import type { PlanOptions } from "./build.js";
import type { RunResult } from "../result.js";

/**
 * One policy's figures in `summary.json` (per pattern, or the unweighted mean over patterns).
 * The first six keys are the schema; the rest break them down.
 */
export interface PolicySummary {
  /** Share of requests answered within their deadline, in [0, 1]. */
  readonly attainment: number;
  /** Requests not answered within their deadline (late, dropped, rejected, unavailable). */
  readonly violations: number;
  /** Time-averaged cores allocated (starting, serving, draining and switching replicas). */
  readonly meanCores: number;
  /**
   * Time-averaged expected accuracy of the assignment in force, percent: for a pipeline the product
   * of the stages' traffic-weighted accuracies ×100 (IPA's PAS·100), for one stage Σ share·accuracy ×100.
   */
  readonly meanAccuracy: number;
  /** P99 end-to-end latency of answered requests, ms. */
  readonly p99LatencyMs: number;
  /** New replicas started during the run (each pays start-up, model load and warm-up). */
  readonly coldStarts: number;
  /** Requests that arrived. */
  readonly requests: number;
  /** Time-averaged cores of the assignment in force as decided (the papers' cost: without transitions). */
  readonly meanDecidedCores: number;
  /** Cost per load: meanCores · duration / requests · 1000, core-seconds per 1,000 requests. */
  readonly coreSecondsPer1000Requests: number;
  /** Violations by kind. */
  readonly late: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly unavailable: number;
  /** Mean accuracy of the answers actually given, percent (request-weighted, product over the variants that served each). */
  readonly servedAccuracy: number;
  /** Replicas re-targeted in place (cores or variant). */
  readonly inPlaceSwitches: number;
  /** Policy decisions, and those that fell back to the maximum-capacity assignment. */
  readonly decisions: number;
  readonly fallbacks: number;
}

/** Wall-clock cost of simulating (not deterministic; everything else is, per seed). */
export interface RunCost {
  readonly wallMs: number;
  /** Control steps run, and their mean wall time, ms. */
  readonly decisions: number;
  readonly decisionWallMeanMs: number;
  /** Time inside the control steps: predictor and policy, the solver included. */
  readonly decisionWallMs: number;
  /** Slowest single control step. */
  readonly decisionWallMaxMs: number;
  /** Everything else: arrivals, routing, batching, actuation, accounting. */
  readonly engineWallMs: number;
  readonly requests: number;
  readonly stageVisits: number;
  /** requests ÷ engineWallMs·1000: the data plane's simulation speed, decisions excluded. */
  readonly engineRequestsPerSecond: number;
  /** requests ÷ wallMs·1000: everything included. */
  readonly requestsPerSecond: number;
  /** With a CPU clock: process CPU outside the control steps, ms, and requests per CPU second of it. */
  readonly engineCpuMs?: number;
  readonly engineRequestsPerCpuSecond?: number;
}

/**
 * `DIR/summary.json`: the experiment's figures per policy beside the published ones. For a
 * multi-pattern experiment (E2) `policies` holds the unweighted means over the patterns and
 * `patterns.<p>.policies` each pattern's figures.
 */
export interface ExperimentSummary {
  readonly experiment: string;
  readonly title: string;
  /** `sim` (this simulator) or `live`. */
  readonly mode: "sim" | "live";
  /** Profile set the runs used (`paper`, `measured`). */
  readonly profiles: string;
  readonly seed: number;
  readonly sloMs: number;
  /** Present when every policy was made to use one forecaster (a sensitivity run), instead of its own. */
  readonly forecastOverride?: NonNullable<PlanOptions["forecast"]>;
  /** Simulated length of each run, s, by pattern. */
  readonly durationS: Readonly<Record<string, number>>;
  readonly policies: Readonly<Record<string, PolicySummary>>;
  readonly patterns?: Readonly<Record<string, { readonly policies: Readonly<Record<string, PolicySummary>> }>>;
  /** The published numbers and claims with their provenance (`experiments/paper-results.json`), or null. */
  readonly paper: unknown;
  /** The code that produced it: the git commit, and whether the work tree had uncommitted changes (absent outside a git checkout). */
  readonly source?: SourceRevision;
  /** Wall-clock cost: of everything, and of each run by `<pattern>/<policy>`. */
  readonly cost?: { readonly total: RunCost; readonly runs: Readonly<Record<string, RunCost>> };
}

/** One run's decisions and per-second series, for the report's charts (`DIR/timeseries.json`). */
export interface RunTimeseries {
  readonly pattern: string;
  readonly policy: string;
  /** Per-second series, index = second (see `RunSeries`). */
  readonly series: RunResult["series"];
  /** Each decision: when, for what λ̂ (and from which forecaster), with what outcome, the cores it decided, its wall time. */
  readonly decisions: readonly {
    readonly atS: number;
    readonly forecastRps: number | null;
    /** Forecaster that served λ̂ (`lstm`, `moving-max`, …; `reactive` while history is short; `observed-floor` when the load just observed set λ̂), null without one. */
    readonly forecaster: string | null;
    readonly status: string;
    readonly cores: number | null;
    readonly wallMs: number;
  }[];
}

/** A git revision of the code that ran. */
export interface SourceRevision {
  readonly commit: string;
  /** True when tracked files differed from the commit. */
  readonly dirty: boolean;
}

/** `DIR/timeseries.json`. */
export interface ExperimentTimeseries {
  readonly experiment: string;
  readonly profiles: string;
  readonly seed: number;
  /** See {@link ExperimentSummary.source}. */
  readonly source?: SourceRevision;
  readonly runs: readonly RunTimeseries[];
}

/** The published figure of `policy` for `metric` in a paper entry (per `pattern`, or its means), when it has one (IPA's table). */
export function paperFigure(paper: unknown, pattern: string | undefined, policy: string, metric: "meanCores" | "meanAccuracy"): number | undefined {
  const p = paper as { patterns?: Record<string, Record<string, Record<string, unknown>>>; policies?: Record<string, Record<string, unknown>> } | null;
  const table = pattern === undefined ? p?.policies : p?.patterns?.[pattern];
  const v = table?.[policy]?.[metric];
  return typeof v === "number" ? v : undefined;
}

/** The summary figures of one run. */
export function policySummary(r: RunResult): PolicySummary {
  return {
    attainment: r.attainment,
    violations: r.violations,
    meanCores: r.meanCores,
    meanAccuracy: r.meanAccuracy,
    p99LatencyMs: r.p99LatencyMs,
    coldStarts: r.coldStarts,
    requests: r.counts.arrivals,
    meanDecidedCores: r.meanDecidedCores,
    coreSecondsPer1000Requests: r.counts.arrivals > 0 ? (r.meanCores * r.durationS * 1000) / r.counts.arrivals : 0,
    late: r.counts.late,
    dropped: r.counts.dropped,
    rejected: r.counts.rejected,
    unavailable: r.counts.unavailable,
    servedAccuracy: r.servedAccuracy,
    inPlaceSwitches: r.inPlaceSwitches,
    decisions: r.decisions.total,
    fallbacks: r.decisions.fallbacks,
  };
}

/** Unweighted mean of every figure over runs (E2's means over IPA's four patterns). */
export function meanSummary(xs: readonly PolicySummary[]): PolicySummary {
  const keys = Object.keys(xs[0]!) as (keyof PolicySummary)[];
  return Object.fromEntries(keys.map((k) => [k, xs.reduce((s, x) => s + x[k], 0) / xs.length])) as unknown as PolicySummary;
}
