import type { StageAssignment } from "@fulcrum/core";
import { initialPredictorState, predictorStep, type PredictorState } from "@fulcrum/core/forecast";
import { POLICIES, type BudgetSummary, type Explanation, type PolicyInput, type PolicyState, type Solver } from "@fulcrum/core/policies";
import type { Scenario } from "./scenario.js";

/** One second of load as the monitor aggregates it (the `LoadSample` the predictor and optimizer get). */
export interface LoadSecond {
  /** Requests that arrived in the second. */
  readonly arrivals: number;
  /** 10th percentile and median of the budgets those requests had, ms; absent without per-request budgets. */
  readonly budgetP10Ms?: number;
  readonly budgetP50Ms?: number;
}

/** What one decision did. */
export interface DecisionRecord {
  readonly atMs: number;
  /** λ̂ decided for, rps; absent when no forecast existed yet (the assignment was kept). */
  readonly forecastRps?: number;
  /** `optimal` | `held` | `fallback` (the policy's), or `kept:<why>` when nothing was applied. */
  readonly status: string;
  readonly fallbackReason?: string;
  /** The new assignment (absent when kept). */
  readonly stages?: readonly StageAssignment[];
  /** Wall time of the control step (predictor and policy), ms (0 without a wall clock). */
  readonly wallMs: number;
  readonly explanation?: Explanation;
}

/**
 * The control plane of one run, as the live services chain it: the monitor's per-second load,
 * the predictor's pure step (`@fulcrum/core/forecast`) fed one sample a second and ticked at each
 * decision, and the policy from `@fulcrum/core/policies` called with the assignment in force and
 * its own state. Deterministic: time is the virtual clock; the wall clock only times decisions.
 *
 * TODO(core/metrics): take the per-second aggregation and the budget rule from the monitor's and
 * optimizer's pure modules once they move into core; {@link budgetSummary} mirrors the optimizer's
 * `budgetsFromLoad` until then.
 */
export class ControlLoop {
  private predictor: PredictorState = initialPredictorState();
  private fed = 0;
  private policyState: PolicyState | undefined;
  private inForce: readonly StageAssignment[] | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly solver: Solver,
    private readonly wallClock: (() => number) | undefined,
  ) {}

  /** The assignment in force (what the policies see as `current`). */
  get current(): readonly StageAssignment[] | undefined {
    return this.inForce;
  }

  /** Installs the assignment running at t = 0. */
  setInitial(stages: readonly StageAssignment[]): void {
    this.inForce = stages;
  }

  /** The policy's decision for a given λ̂ at `nowMs`, without the predictor (warm start at t = 0). */
  decideFor(forecastRps: number, nowMs: number, load: readonly LoadSecond[]): Promise<DecisionRecord> {
    return this.runPolicy(forecastRps, nowMs, load, this.wallClock?.() ?? 0);
  }

  private async runPolicy(forecastRps: number, nowMs: number, load: readonly LoadSecond[], t0: number): Promise<DecisionRecord> {
    const input = this.input(forecastRps, nowMs, load);
    const d = await POLICIES[this.scenario.policy.name].decide(input, this.policyState, this.scenario.policy.config, nowMs, { solver: this.solver });
    const wallMs = (this.wallClock?.() ?? 0) - t0;
    this.policyState = d.state;
    this.inForce = d.stages;
    return {
      atMs: nowMs, forecastRps, status: d.explanation.status, wallMs, stages: d.stages, explanation: d.explanation,
      ...(d.explanation.fallback ? { fallbackReason: d.explanation.fallback.reason } : {}),
    };
  }

  /**
   * One decision at `nowMs`: feeds the predictor every closed second of `load` (index = second),
   * ticks it and, with a forecast, runs the policy. Without a forecast yet the assignment in force
   * is kept (as the optimizer does).
   */
  async decide(nowMs: number, load: readonly LoadSecond[]): Promise<DecisionRecord> {
    const t0 = this.wallClock?.() ?? 0;
    const fc = this.scenario.control.forecast;
    const closed = Math.min(load.length, Math.floor(nowMs / 1000));
    for (; this.fed < closed; this.fed++) {
      this.predictor = predictorStep(this.predictor, { kind: "sample", atMs: this.fed * 1000, rps: load[this.fed]!.arrivals }, fc.predictor, this.fed * 1000).state;
    }
    const tick = predictorStep(this.predictor, { kind: "tick" }, fc.predictor, nowMs);
    this.predictor = tick.state;
    if (!tick.forecast) return { atMs: nowMs, status: "kept:no-forecast", wallMs: (this.wallClock?.() ?? 0) - t0 };
    const base = fc.value === "upper" ? tick.forecast.upperRps : tick.forecast.pointRps;
    return this.runPolicy(base * (1 + fc.marginFraction), nowMs, load, t0);
  }

  private input(forecastRps: number, nowMs: number, load: readonly LoadSecond[]): PolicyInput {
    const s = this.scenario;
    const budgets = budgetSummary(load, Math.floor(nowMs / 1000), Math.ceil(s.control.loadWindowMs / 1000));
    return {
      pipeline: s.pipeline,
      stages: s.stages,
      perf: s.planning,
      forecastRps,
      sloMs: s.sloMs,
      ...(budgets ? { budgets } : {}),
      ...(this.inForce ? { current: this.inForce } : {}),
      limits: s.limits,
    };
  }
}

/**
 * The budgets a policy meets, from the last `windowS` closed seconds before second `nowS`: the
 * smallest per-second p10 and the smallest per-second median seen (the optimizer's conservative
 * reading of "the tightest pending budgets"); undefined without per-request budgets.
 */
export function budgetSummary(load: readonly LoadSecond[], nowS: number, windowS: number): BudgetSummary | undefined {
  let p10 = Infinity;
  let p50 = Infinity;
  for (let s = Math.max(0, nowS - windowS); s < Math.min(nowS, load.length); s++) {
    const l = load[s]!;
    if (l.budgetP10Ms !== undefined) p10 = Math.min(p10, l.budgetP10Ms);
    if (l.budgetP50Ms !== undefined) p50 = Math.min(p50, l.budgetP50Ms);
  }
  const quantilesMs = [...(p10 < Infinity ? [{ q: 0.1, valueMs: p10 }] : []), ...(p50 < Infinity ? [{ q: 0.5, valueMs: p50 }] : [])];
  return quantilesMs.length > 0 ? { quantilesMs } : undefined;
}
