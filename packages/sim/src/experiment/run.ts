import type { Solver } from "@fulcrum/core/policies";
import { simulate } from "../engine.js";
import type { RunResult } from "../result.js";
import { planRuns, type ExperimentData, type PlanOptions } from "./build.js";
import type { ExperimentSpec } from "./schema.js";
import { meanSummary, policySummary, type ExperimentSummary, type ExperimentTimeseries, type PolicySummary, type RunCost } from "./summary.js";

/** What {@link runExperiment} needs from outside. */
export interface ExperimentDeps {
  readonly solver: Solver;
  /** Wall clock in ms, to time decisions and runs; omitted: no `cost` in the summary. */
  readonly wallClock?: () => number;
  /** Process CPU time in ms, to split CPU between control steps and data plane (see `SimDeps.cpuClock`). */
  readonly cpuClock?: () => number;
  /** Progress: runs finished, runs in all, the run under way and its virtual progress in [0, 1]. */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly run: string; readonly fraction: number }) => void;
}

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions extends PlanOptions {
  /** The published numbers to put beside ours (`experiments/paper-results.json` entry), or null. */
  readonly paper?: unknown;
}

/** The two files of an experiment run. */
export interface ExperimentOutput {
  readonly summary: ExperimentSummary;
  readonly timeseries: ExperimentTimeseries;
}

/**
 * Runs every pattern × policy of an experiment in the simulator (one after the other, so each
 * run's wall time is its own) and assembles `summary.json` and `timeseries.json`.
 */
export async function runExperiment(spec: ExperimentSpec, data: ExperimentData, deps: ExperimentDeps, options: RunExperimentOptions = {}): Promise<ExperimentOutput> {
  const runs = planRuns(spec, data, options);
  const results: { pattern: string; policy: string; result: RunResult }[] = [];
  for (const [i, run] of runs.entries()) {
    const name = `${run.pattern}/${run.policy}`;
    deps.onProgress?.({ done: i, total: runs.length, run: name, fraction: 0 });
    const result = await simulate(run.scenario, {
      solver: deps.solver,
      ...(deps.wallClock ? { wallClock: deps.wallClock } : {}),
      ...(deps.cpuClock ? { cpuClock: deps.cpuClock } : {}),
      onProgress: (at, end) => deps.onProgress?.({ done: i, total: runs.length, run: name, fraction: end > 0 ? at / end : 1 }),
    });
    results.push({ pattern: run.pattern, policy: run.policy, result });
  }
  deps.onProgress?.({ done: runs.length, total: runs.length, run: "", fraction: 1 });
  const patterns = [...new Set(results.map((r) => r.pattern))];
  const labels = [...new Set(results.map((r) => r.policy))];
  const per = (pattern: string): Record<string, PolicySummary> =>
    Object.fromEntries(results.filter((r) => r.pattern === pattern).map((r) => [r.policy, policySummary(r.result)]));
  const byPattern = Object.fromEntries(patterns.map((p) => [p, { policies: per(p) }]));
  const policies = patterns.length === 1
    ? per(patterns[0]!)
    : Object.fromEntries(labels.map((l) => [l, meanSummary(patterns.map((p) => byPattern[p]!.policies[l]!))]));
  const total = costOf(results.map((r) => r.result));
  const cost = total ? { total, runs: Object.fromEntries(results.map((r) => [`${r.pattern}/${r.policy}`, costOf([r.result])!])) } : undefined;
  const seed = options.seed ?? spec.seed;
  const profiles = options.profiles ?? spec.defaultProfiles;
  return {
    summary: {
      experiment: spec.id,
      title: spec.title,
      mode: "sim",
      profiles,
      seed,
      ...(options.forecast ? { forecastOverride: options.forecast } : {}),
      sloMs: runs[0]?.scenario.sloMs ?? spec.sloMs,
      durationS: Object.fromEntries(patterns.map((p) => [p, results.find((r) => r.pattern === p)!.result.durationS])),
      policies,
      ...(patterns.length > 1 ? { patterns: byPattern } : {}),
      paper: options.paper ?? null,
      ...(cost ? { cost } : {}),
    },
    timeseries: {
      experiment: spec.id,
      profiles,
      seed,
      runs: results.map((r) => ({
        pattern: r.pattern,
        policy: r.policy,
        series: r.result.series,
        decisions: r.result.decisionLog.map((d) => ({
          atS: d.atMs / 1000,
          forecastRps: d.forecastRps ?? null,
          forecaster: d.flooredAtRps !== undefined ? "observed-floor" : (d.forecast?.model ?? null),
          status: d.fallbackReason ? `fallback:${d.fallbackReason}` : d.status,
          cores: d.stages ? d.stages.reduce((s, st) => s + st.variants.reduce((t, v) => t + v.coresPerReplica * v.replicas, 0), 0) : null,
          wallMs: d.wallMs,
        })),
      })),
    },
  };
}

function costOf(results: readonly RunResult[]): RunCost | undefined {
  if (results.length === 0 || results.some((r) => !r.timing)) return undefined;
  const sum = (f: (r: RunResult) => number): number => results.reduce((s, r) => s + f(r), 0);
  const wallMs = sum((r) => r.timing!.wallMs);
  const decisionWallMs = sum((r) => r.timing!.decisionWallMs);
  const engineWallMs = wallMs - decisionWallMs;
  const requests = sum((r) => r.counts.arrivals);
  const decisions = sum((r) => r.decisionLog.length);
  const engineCpuMs = results.every((r) => r.timing!.engineCpuMs !== undefined) ? sum((r) => r.timing!.engineCpuMs!) : undefined;
  return {
    ...(engineCpuMs !== undefined ? { engineCpuMs, engineRequestsPerCpuSecond: engineCpuMs > 0 ? (requests / engineCpuMs) * 1000 : 0 } : {}),
    wallMs, decisions, decisionWallMeanMs: decisions > 0 ? decisionWallMs / decisions : 0, decisionWallMs, engineWallMs, requests,
    decisionWallMaxMs: Math.max(...results.map((r) => r.timing!.decisionWallMaxMs)),
    stageVisits: sum((r) => r.timing!.stageVisits),
    engineRequestsPerSecond: engineWallMs > 0 ? (requests / engineWallMs) * 1000 : 0,
    requestsPerSecond: wallMs > 0 ? (requests / wallMs) * 1000 : 0,
  };
}
