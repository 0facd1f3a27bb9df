import type { StageAssignment } from "../assignment/index.js";
import type { PerfModel } from "../perf/index.js";
import type { Solver } from "./solver-port.js";

/** Names of the policies in {@link POLICIES}. */
export const POLICY_NAMES = ["fulcrum", "infadapter", "ipa", "sponge", "static", "vpa", "hpa", "fa2", "rim", "ms-plus"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** A model variant a stage may run. */
export interface PolicyVariant {
  /** Variant name; also the key into {@link PolicyInput.perf}. */
  readonly name: string;
  /** Accuracy in (0, 1] (top-1, mAP, …); `log` aggregation needs it > 0. */
  readonly accuracy: number;
  /**
   * IPA's "base allocation": the fixed cores per replica of this variant. IPA, FA2 and RIM use it
   * when set; otherwise they choose cores per replica from {@link PolicyLimits.coresPerReplica}.
   */
  readonly baseCoresPerReplica?: number;
  /** Cold-start load time of a new replica of this variant, ms (switch costs). @default 0 */
  readonly loadTimeMs?: number;
}

/** One stage of the pipeline DAG. */
export interface PolicyStage {
  readonly name: string;
  readonly variants: readonly PolicyVariant[];
}

/**
 * Remaining per-request budgets of pending requests (Sponge's dynamic SLO): either raw samples or
 * quantiles already computed by the monitor. Policies take a configurable LOW quantile of them as
 * the tightest budget to meet.
 */
export interface BudgetSummary {
  /** Remaining budgets of pending/recent requests, ms. */
  readonly pendingMs?: readonly number[];
  /** Precomputed quantiles `{ q ∈ [0,1], valueMs }`. Used when `pendingMs` is absent or empty. */
  readonly quantilesMs?: readonly { readonly q: number; readonly valueMs: number }[];
}

/** Resource limits and the candidate grid the policies search. */
export interface PolicyLimits {
  /** Total cores over the whole pipeline. */
  readonly maxCores: number;
  /** Candidate batch sizes (each ≥ 1). */
  readonly batches: readonly number[];
  /** Candidate cores per replica (each ≥ 1) for policies that choose them. */
  readonly coresPerReplica: readonly number[];
  /** Replicas per variant of a stage. */
  readonly maxReplicas: number;
}

/** Everything a policy decides from. Units: rps, ms, cores. */
export interface PolicyInput {
  readonly pipeline: string;
  readonly stages: readonly PolicyStage[];
  /** DAG edges `[from, to]` by stage name. Omitted: a linear chain in `stages` order. */
  readonly edges?: readonly (readonly [string, string])[];
  readonly perf: PerfModel;
  /** Forecast arrival rate λ̂ at the pipeline's entry, rps (each stage sees all of it). */
  readonly forecastRps: number;
  /**
   * Mean arrival rate at the pipeline's entry over the control loop's load window (`loadWindowMs`
   * of closed monitor windows), rps; absent when no sample falls in it. What a usage-driven
   * baseline (Kubernetes VPA) sees in place of a forecast.
   */
  readonly observedRps?: number;
  /** End-to-end latency SLO, ms. */
  readonly sloMs: number;
  readonly budgets?: BudgetSummary;
  /** The assignment currently applied (for switch costs, hysteresis and pinned baselines). */
  readonly current?: readonly StageAssignment[];
  readonly limits: PolicyLimits;
}

/** Ports a policy may use. */
export interface PolicyDeps {
  readonly solver: Solver;
}

/** State a policy carries from one decision to the next (data only; the caller stores it). */
export interface PolicyState {
  /** Consecutive decisions that proposed a scale-down which was held back. */
  readonly downscaleStreak: number;
}

/** Why a policy returned its maximum-capacity fallback. */
export type FallbackReason =
  | "latency-unreachable"
  | "capacity-exceeded"
  | "infeasible"
  | "solver-time-limit"
  | "solver-error"
  | "invalid-input";

/** One chosen option of one stage, with the numbers the decision rested on. */
export interface ChosenOption {
  readonly stage: string;
  readonly variant: string;
  readonly weight: number;
  readonly batch: number;
  readonly coresPerReplica: number;
  readonly replicas: number;
  /** Batch latency l(b,c), ms. */
  readonly latencyMs: number;
  /** Stage bound l + (b−1)/λ at this option's arrival rate, ms. */
  readonly boundMs: number;
  /** Per-replica throughput h = b/l, rps. */
  readonly throughputRps: number;
  /** True when l(b,c) was modeled outside the measured profile range. */
  readonly extrapolated: boolean;
}

/** Why the decision is what it is: machine-readable, recorded on the decision span. */
export interface Explanation {
  readonly policy: PolicyName;
  /** `optimal`: solved; `held`: a scale-down held back by hysteresis; `fallback`: see `fallback`. */
  readonly status: "optimal" | "held" | "fallback";
  /**
   * `milp` (Solver port), `branch-and-bound` (exact in-process search), `enumeration` (exhaustive
   * search of a small grid), `rule` (reactive formula).
   */
  readonly method: "milp" | "branch-and-bound" | "enumeration" | "rule";
  /** The policy's objective at the proposed decision (before hysteresis); absent for fallback/rule. */
  readonly objective?: number;
  /** Objective terms by name (e.g. `accuracy`, `cores`, `batch`, `switch`). */
  readonly terms: Readonly<Record<string, number>>;
  /** The proposed options (before hysteresis). */
  readonly chosen: readonly ChosenOption[];
  /** Largest source→sink sum of stage bounds, ms. */
  readonly endToEndBoundMs?: number;
  /** Latency budget the decision had to meet, ms (SLO with margin, or tightest pending budget). */
  readonly budgetMs?: number;
  readonly fallback?: { readonly reason: FallbackReason; readonly detail: string };
  /** Solver wall time when the Solver port was used, ms. */
  readonly solveMs?: number;
  /**
   * Fraction of λ̂ the decision carries (policies that may shed under overload, i.e. `fulcrum`);
   * 1 when everything is admitted. Absent for policies that never shed.
   */
  readonly admittedFraction?: number;
  /** Free-form remarks (e.g. the admitted fraction under overload). */
  readonly notes?: readonly string[];
}

/** What a policy returns: the stages of the next Assignment, the next state and the explanation. */
export interface PolicyDecision {
  readonly stages: readonly StageAssignment[];
  readonly state: PolicyState;
  readonly explanation: Explanation;
}
