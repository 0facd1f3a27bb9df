import type { BudgetSummary, PolicyInput } from "../policies/index.js";
import type { LoadForecast, LoadSample } from "./messages.js";

/** What the control loop knows when it decides: the policy input minus this interval's load. */
export type DecisionContext = Pick<PolicyInput, "pipeline" | "stages" | "edges" | "perf" | "sloMs" | "limits" | "current">;

/** Why no decision can be made from the inputs: the last assignment is kept. */
export type InputGap = "no-forecast" | "stale-forecast";

/**
 * λ̂ from a forecast: the upper bound when asked for and present, else the point forecast. Units rps.
 */
export function forecastRps(f: LoadForecast, value: "upper" | "peak"): number {
  return value === "upper" && f.upperRps !== undefined ? f.upperRps : f.peakRps;
}

/** The forecast to decide from, or why there is none (missing, or older than `maxAgeMs` at `nowMs`). */
export function usableForecast(f: LoadForecast | undefined, nowMs: number, maxAgeMs: number): { forecast: LoadForecast } | { gap: InputGap } {
  if (!f) return { gap: "no-forecast" };
  if (nowMs - f.createdAtMs > maxAgeMs) return { gap: "stale-forecast" };
  return { forecast: f };
}

/**
 * Budget quantiles from the load samples of the last `windowMs`: the smallest p10 and the smallest
 * p50 seen (a conservative reading of "the tightest pending budgets"); undefined when no sample
 * in the window carries budgets.
 */
export function budgetsFromLoad(samples: readonly LoadSample[], nowMs: number, windowMs: number): BudgetSummary | undefined {
  const recent = samples.filter((s) => nowMs - s.timestampMs <= windowMs);
  const p10 = recent.flatMap((s) => (s.budgetP10Ms !== undefined ? [s.budgetP10Ms] : []));
  const p50 = recent.flatMap((s) => (s.budgetP50Ms !== undefined ? [s.budgetP50Ms] : []));
  const quantilesMs = [
    ...(p10.length > 0 ? [{ q: 0.1, valueMs: Math.min(...p10) }] : []),
    ...(p50.length > 0 ? [{ q: 0.5, valueMs: Math.min(...p50) }] : []),
  ];
  return quantilesMs.length > 0 ? { quantilesMs } : undefined;
}

/** The policy input of one decision. */
export function buildPolicyInput(ctx: DecisionContext, lambdaRps: number, budgets: BudgetSummary | undefined): PolicyInput {
  return {
    pipeline: ctx.pipeline,
    stages: ctx.stages,
    ...(ctx.edges ? { edges: ctx.edges } : {}),
    perf: ctx.perf,
    forecastRps: lambdaRps,
    sloMs: ctx.sloMs,
    ...(budgets ? { budgets } : {}),
    ...(ctx.current ? { current: ctx.current } : {}),
    limits: ctx.limits,
  };
}
