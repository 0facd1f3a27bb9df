import type { StageAssignment } from "@fulcrum/core";
import { buildPolicyInput, decisionRate, type LoadSample } from "@fulcrum/core/control";
import { initialPredictorState, predictorStep, type Forecast, type PredictorState } from "@fulcrum/core/forecast";
import { POLICIES, type Explanation, type PolicyInput, type PolicyState, type Solver } from "@fulcrum/core/policies";
import type { Scenario } from "./scenario.js";

/**
 * The monitor's load samples of a run, one per second (index = second): `LoadSample` from
 * `@fulcrum/core/control`, the message the predictor and the optimizer get.
 */
export type LoadSeries = readonly LoadSample[];

/** What one decision did. */
export interface DecisionRecord {
  readonly atMs: number;
  /** λ̂ decided for, rps; absent when no forecast existed yet (the assignment was kept). */
  readonly forecastRps?: number;
  /** The forecast used: when the predictor made it and which forecaster served it (absent at the warm start). */
  readonly forecast?: { readonly atMs: number; readonly model: string };
  /** Set when the observed load, not the forecast, set λ̂ (`decisionRate`): that peak, rps. */
  readonly flooredAtRps?: number;
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
 * the predictor's pure step (`@fulcrum/core/forecast`) fed one sample a second and ticked on its
 * own cadence, and the policy from `@fulcrum/core/policies` called with the assignment in force and
 * its own state. Deterministic: time is the virtual clock; the wall clock only times decisions.
 * The policy input is built as the optimizer builds it (`decisionRate`, `buildPolicyInput`).
 */
export class ControlLoop {
  private predictor: PredictorState = initialPredictorState();
  private fed = 0;
  private nextTickMs: number;
  private latest: Forecast | undefined;
  private policyState: PolicyState | undefined;
  private inForce: readonly StageAssignment[] | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly solver: Solver,
    private readonly wallClock: (() => number) | undefined,
  ) {
    this.nextTickMs = scenario.control.forecast.tickMs;
  }

  /** The assignment in force (what the policies see as `current`). */
  get current(): readonly StageAssignment[] | undefined {
    return this.inForce;
  }

  /** Installs the assignment running at t = 0. */
  setInitial(stages: readonly StageAssignment[]): void {
    this.inForce = stages;
  }

  /** The policy's decision for a given λ̂ at `nowMs`, without the predictor (warm start at t = 0). */
  decideFor(forecastRps: number, nowMs: number, load: LoadSeries): Promise<DecisionRecord> {
    return this.runPolicy(forecastRps, nowMs, load, this.wallClock?.() ?? 0);
  }

  private async runPolicy(forecastRps: number, nowMs: number, load: LoadSeries, t0: number): Promise<DecisionRecord> {
    const input = this.policyInput(forecastRps, nowMs, load);
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
   * One decision at `nowMs`: runs the predictor's ticks due by then (every `forecast.tickMs`, each
   * fed the seconds of `load` closed before it; index = second) and, with a forecast, runs the
   * policy on the latest one. Without a forecast yet the assignment in force is kept (as the
   * optimizer does).
   */
  async decide(nowMs: number, load: LoadSeries): Promise<DecisionRecord> {
    const t0 = this.wallClock?.() ?? 0;
    const fc = this.scenario.control.forecast;
    // The predictor runs on its own cadence, as the predictor service does: catch up on its ticks.
    for (; this.nextTickMs <= nowMs; this.nextTickMs += fc.tickMs) {
      const closed = Math.min(load.length, Math.floor(this.nextTickMs / 1000));
      for (; this.fed < closed; this.fed++) {
        this.predictor = predictorStep(this.predictor, { kind: "sample", atMs: this.fed * 1000, rps: load[this.fed]!.arrivalsRps }, fc.predictor, this.fed * 1000).state;
      }
      const tick = predictorStep(this.predictor, { kind: "tick" }, fc.predictor, this.nextTickMs);
      this.predictor = tick.state;
      if (tick.forecast) this.latest = tick.forecast;
    }
    if (!this.latest) return { atMs: nowMs, status: "kept:no-forecast", wallMs: (this.wallClock?.() ?? 0) - t0 };
    const base = fc.value === "upper" ? this.latest.upperRps : this.latest.pointRps;
    // Only closed seconds: the optimizer sees only the monitor's finished windows.
    const closed = Math.min(load.length, Math.floor(nowMs / 1000));
    const recent = load.slice(Math.max(0, closed - Math.ceil(fc.observedFloorMs / 1000) - 1), closed);
    const rate = decisionRate(base * (1 + fc.marginFraction), recent, nowMs, fc.observedFloorMs);
    const d = await this.runPolicy(rate.rps, nowMs, load, t0);
    return { ...d, forecast: { atMs: this.latest.atMs, model: this.latest.model }, ...(rate.floored ? { flooredAtRps: rate.observedPeakRps } : {}) };
  }

  /** The optimizer's own input building (`@fulcrum/core/control`): budgets from the samples of the last `loadWindowMs`. */
  policyInput(forecastRps: number, nowMs: number, load: LoadSeries): PolicyInput {
    const s = this.scenario;
    // Only the samples the window can reach (buildPolicyInput filters by time; the prefix is long).
    const from = Math.max(0, Math.floor((nowMs - s.control.loadWindowMs) / 1000) - 1);
    const samples = load.slice(from, Math.ceil(nowMs / 1000));
    const ctx = { pipeline: s.pipeline, stages: s.stages, perf: s.planning, sloMs: s.sloMs, limits: s.limits, ...(this.inForce ? { current: this.inForce } : {}) };
    return buildPolicyInput(ctx, forecastRps, { samples, nowMs, windowMs: s.control.loadWindowMs });
  }
}
