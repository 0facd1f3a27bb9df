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

/** λ̂ of one decision: the forecast, floored at the load observed just before it. */
export interface DecisionRate {
  /** The rate decided for, rps: max(forecast, observed peak). */
  readonly rps: number;
  /** The forecast it started from, rps. */
  readonly forecastRps: number;
  /** The highest arrival rate among the recent load samples, rps; 0 when none. */
  readonly observedPeakRps: number;
  /** True when the observed peak, not the forecast, set `rps`. */
  readonly floored: boolean;
}

/**
 * The rate to decide for: the forecast, but never below the highest arrival rate of the load
 * samples that end within the last `floorWindowMs` before `nowMs` (0 turns the floor off).
 *
 * Why: the predictor forecasts on its own cadence (every 10 s by default) from binned peaks, so a
 * burst that began since its last forecast is already in the monitor's samples but not in the
 * forecast. Planning below the load being served right now cannot be right whatever comes next.
 * The papers' controllers plan from the forecast alone; Fulcrum's optimizer defaults the window to
 * its decision interval. Samples must be closed windows (the monitor publishes only those).
 */
export function decisionRate(forecastRps: number, samples: readonly LoadSample[], nowMs: number, floorWindowMs: number): DecisionRate {
  let peak = 0;
  if (floorWindowMs > 0) {
    for (const s of samples) if (s.timestampMs + s.windowMs > nowMs - floorWindowMs && s.arrivalsRps > peak) peak = s.arrivalsRps;
  }
  return { rps: Math.max(forecastRps, peak), forecastRps, observedPeakRps: peak, floored: peak > forecastRps };
}

/** Whether a load sample is one of "the last `windowMs` before `nowMs`" a decision reads (by its timestamp). */
function inLoadWindow(s: LoadSample, nowMs: number, windowMs: number): boolean {
  return nowMs - s.timestampMs <= windowMs;
}

/**
 * Budget quantiles from the load samples of the last `windowMs`: the smallest p10 and the smallest
 * p50 seen (a conservative reading of "the tightest pending budgets"); undefined when no sample
 * in the window carries budgets.
 */
export function budgetsFromLoad(samples: readonly LoadSample[], nowMs: number, windowMs: number): BudgetSummary | undefined {
  const recent = samples.filter((s) => inLoadWindow(s, nowMs, windowMs));
  const p10 = recent.flatMap((s) => (s.budgetP10Ms !== undefined ? [s.budgetP10Ms] : []));
  const p50 = recent.flatMap((s) => (s.budgetP50Ms !== undefined ? [s.budgetP50Ms] : []));
  const quantilesMs = [
    ...(p10.length > 0 ? [{ q: 0.1, valueMs: Math.min(...p10) }] : []),
    ...(p50.length > 0 ? [{ q: 0.5, valueMs: Math.min(...p50) }] : []),
  ];
  return quantilesMs.length > 0 ? { quantilesMs } : undefined;
}

/**
 * Mean arrival rate of the load samples of the last `windowMs` before `nowMs` (each weighted by its
 * window's length), rps; undefined when none is in the window.
 */
export function observedMeanRps(samples: readonly LoadSample[], nowMs: number, windowMs: number): number | undefined {
  let arrivals = 0;
  let ms = 0;
  for (const s of samples) {
    if (!inLoadWindow(s, nowMs, windowMs) || s.windowMs <= 0) continue;
    arrivals += s.arrivalsRps * s.windowMs;
    ms += s.windowMs;
  }
  return ms > 0 ? arrivals / ms : undefined;
}

/** The load samples a decision reads: those of the last `windowMs` before `nowMs`. */
export interface RecentLoad {
  readonly samples: readonly LoadSample[];
  /** When the decision is made, Unix ms. */
  readonly nowMs: number;
  /** How far back the samples count (`loadWindowMs`), ms. */
  readonly windowMs: number;
}

/**
 * The policy input of one decision. From `load`, when given: the pending budgets
 * ({@link budgetsFromLoad}) and the observed arrival rate ({@link observedMeanRps}), so the
 * optimizer and the simulator derive them alike.
 */
export function buildPolicyInput(ctx: DecisionContext, lambdaRps: number, load?: RecentLoad): PolicyInput {
  const budgets = load && budgetsFromLoad(load.samples, load.nowMs, load.windowMs);
  const observedRps = load && observedMeanRps(load.samples, load.nowMs, load.windowMs);
  return {
    pipeline: ctx.pipeline,
    stages: ctx.stages,
    ...(ctx.edges ? { edges: ctx.edges } : {}),
    perf: ctx.perf,
    forecastRps: lambdaRps,
    ...(observedRps !== undefined ? { observedRps } : {}),
    sloMs: ctx.sloMs,
    ...(budgets ? { budgets } : {}),
    ...(ctx.current ? { current: ctx.current } : {}),
    limits: ctx.limits,
  };
}
