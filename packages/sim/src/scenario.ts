import type { StageAssignment } from "@fulcrum/core";
import type { PredictorConfig } from "@fulcrum/core/forecast";
import type { PerfModel } from "@fulcrum/core/perf";
import type { PolicyLimits, PolicyName, PolicyStage } from "@fulcrum/core/policies";
import type { ActuationMode } from "./actuation.js";
import type { ReplicaSettings } from "./replica.js";
import type { ServiceTimeModel } from "./service-time.js";

/** Where a run's requests come from. */
export type ScenarioWorkload =
  /** A per-second trace replayed with Poisson arrivals within each second (see `traceArrivals`). */
  | {
      readonly kind: "trace";
      readonly countsPerSecond: readonly number[];
      /** Multiplier of every count. @default 1 */
      readonly scale?: number;
      /** Per-second request budgets, ms (Sponge's dynamic SLO); absent: every request gets the SLO. */
      readonly budgetsMs?: readonly number[];
    }
  /** Requests at given times (hand-computed scenarios). `durationS` bounds the control loop. */
  | { readonly kind: "explicit"; readonly requests: readonly { readonly timeMs: number; readonly budgetMs: number }[]; readonly durationS: number };

/** How λ̂ is made each decision: the predictor's pure step over the per-second load. */
export interface ScenarioForecast {
  /** The predictor config (`compilePredictorConfig`): forecasters, LSTM, bins, horizon, margin. */
  readonly predictor: PredictorConfig;
  /** Which number is λ̂: the point forecast, or the point plus its conformal margin (`upper`). */
  readonly value: "point" | "upper";
  /** Extra headroom on λ̂ (InfAdapter adds 10 %): λ̂·(1 + marginFraction). */
  readonly marginFraction: number;
  /** The predictor's own cadence: a forecast every `tickMs` (the predictor service's `intervalMs`); decisions use the latest. */
  readonly tickMs: number;
  /**
   * λ̂ is never below the highest per-second arrivals of this many ms before the decision
   * (`decisionRate`); 0 = the forecast alone. The optimizer's default is its decision interval.
   */
  readonly observedFloorMs: number;
}

/** Delays of applying an assignment (see {@link ActuationMode}). */
export interface ScenarioActuation {
  readonly mode: ActuationMode;
  /** A new replica's start-up before its model loads (process or pod start), ms. */
  readonly replicaStartMs: number;
  /** Warm-up after the model loaded, before the replica is ready, ms. */
  readonly warmupMs: number;
  /** Changing a running replica's cores in place, ms. */
  readonly inPlaceChangeMs: number;
  /**
   * Fulcrum's reconciler (mode `in-place`): replicas starting at once, over the whole pipeline.
   * The live default, 2, is a machine's (cold starts compete for its cores); a cluster starts pods
   * on many nodes at once. @default 2
   */
  readonly maxConcurrentStarts?: number;
  /** Fulcrum's reconciler: actions per pass (one pass a second). @default 8 */
  readonly maxActionsPerPass?: number;
}

/**
 * One simulated run: one policy on one workload over one pipeline. The experiment builder makes
 * these from an experiment definition; tests build them by hand. Everything is data except the
 * perf and service-time models.
 */
export interface Scenario {
  /** Report label of the policy run, e.g. `ipa` or `vpa-resnet50`. */
  readonly label: string;
  readonly pipeline: string;
  /** The stages, a linear chain in this order (the data plane calls them in turn, as the gateway does). */
  readonly stages: readonly PolicyStage[];
  /** End-to-end SLO, ms (the policies' `sloMs`; requests without a budget of their own get it). */
  readonly sloMs: number;
  readonly workload: ScenarioWorkload;
  /** What the policies plan with. */
  readonly planning: PerfModel;
  /** What batches really take. */
  readonly service: ServiceTimeModel;
  readonly policy: { readonly name: PolicyName; readonly config: unknown };
  readonly limits: PolicyLimits;
  readonly control: {
    /** Decision period, ms. */
    readonly intervalMs: number;
    /** First decision, ms from the start. */
    readonly firstDecisionMs: number;
    /** Budget samples (per-second quantiles) considered by a decision, ms back from it. */
    readonly loadWindowMs: number;
    readonly forecast: ScenarioForecast;
  };
  readonly actuation: ScenarioActuation;
  readonly replica: ReplicaSettings;
  /**
   * The assignment running (ready) at t = 0, or `{ decideAtRps }`: the policy's own decision for
   * that λ̂, as if it had been running before the window.
   */
  readonly initial: readonly StageAssignment[] | { readonly decideAtRps: number };
  /** Seed of every random draw (arrivals, service times). */
  readonly seed: number;
}
