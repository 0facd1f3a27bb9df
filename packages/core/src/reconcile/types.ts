import type { ReplicaTarget } from "../assignment/index.js";

/** What one replica of a stage should run (or runs): its variant, cores (= intra-op threads) and batch. */
export type SlotTarget = ReplicaTarget;

/**
 * Where a replica is in its life, as the reconciler sees it (registry heartbeat + the actuator's
 * own view): `starting` (process started, model not yet loaded, warmed and probed), `ready`
 * (registered and serving), `draining` (finishing its queue, takes no new requests), `dead` (its
 * process exited or its heartbeat expired: it holds nothing any more, only a record to forget).
 */
export type ReplicaPhase = "starting" | "ready" | "draining" | "dead";

/** One replica the reconciler knows of. */
export interface ObservedReplica {
  readonly instance: string;
  readonly stage: string;
  readonly phase: ReplicaPhase;
  /**
   * What it runs, or is being moved to: the last target the reconciler gave it (for a replica it
   * did not start, what the registry says it serves).
   */
  readonly target: SlotTarget;
  /**
   * Cores it may hold now, ≥ `target.cores` while an in-place change is under way (a cores change
   * holds the larger of old and new until the replica reports the new one). @default target.cores
   */
  readonly coresHeld?: number;
  /** Variants it can serve in place (its models). Absent: any variant of its stage. */
  readonly servable?: readonly string[];
}

/** Options of {@link planReconcile}. */
export interface ReconcileConfig {
  /** Replicas that may be starting at once (cold starts compete for the same cores). @default 2 */
  readonly maxConcurrentStarts: number;
  /** Actions emitted per pass at most (rate limit). @default 8 */
  readonly maxActionsPerPass: number;
  /** Whether a replica may switch variant in place (false where each variant is its own deployment). @default true */
  readonly inPlaceVariantChange: boolean;
  /** Backoff after the first failed start of a (stage, variant), ms; doubles per failure. @default 1000 */
  readonly backoffBaseMs: number;
  /** Longest backoff, ms. @default 30000 */
  readonly backoffMaxMs: number;
}

/** The defaults of {@link ReconcileConfig}. */
export const DEFAULT_RECONCILE_CONFIG: ReconcileConfig = {
  maxConcurrentStarts: 2,
  maxActionsPerPass: 8,
  inPlaceVariantChange: true,
  backoffBaseMs: 1000,
  backoffMaxMs: 30_000,
};

/** Backoff of one (stage, variant) after failed starts. */
export interface StartBackoff {
  readonly failures: number;
  /** No new start before this time, Unix ms. */
  readonly untilMs: number;
}

/** What the reconciler carries from pass to pass (data only). */
export interface ReconcileState {
  /** Next instance sequence number (instance ids are `<stage>-<prefix><seq>`). */
  readonly nextSeq: number;
  /** Backoff per `<stage>/<variant>`. */
  readonly backoff: Readonly<Record<string, StartBackoff>>;
}

/** A fresh state. */
export const INITIAL_RECONCILE_STATE: ReconcileState = { nextSeq: 0, backoff: {} };

/** One thing to do, with why. */
export type ReconcileAction =
  | { readonly kind: "retarget"; readonly instance: string; readonly stage: string; readonly from: SlotTarget; readonly to: SlotTarget; readonly reason: string }
  | { readonly kind: "start"; readonly instance: string; readonly stage: string; readonly target: SlotTarget; readonly reason: string }
  | { readonly kind: "drain"; readonly instance: string; readonly stage: string; readonly target: SlotTarget; readonly reason: string }
  | { readonly kind: "forget"; readonly instance: string; readonly stage: string; readonly reason: string };

/** What a pass decided. */
export interface ReconcilePlan {
  readonly actions: readonly ReconcileAction[];
  /** Desired replicas that could not be acted on this pass, and why (budget, backoff, rate limit). */
  readonly deferred: readonly string[];
  /** True when observed equals desired (nothing to do, nothing deferred). */
  readonly converged: boolean;
}

/** Everything a pass decides from. */
export interface ReconcileInput {
  /** Desired replicas per stage (from the Assignment in force), see `desiredSlots`. */
  readonly desired: Readonly<Record<string, readonly SlotTarget[]>>;
  readonly observed: readonly ObservedReplica[];
  /** Cores the machine (or namespace) may hold in all, at every moment of a transition. */
  readonly coreBudget: number;
  /** Prefix making instance ids unique across launcher runs (e.g. a run id). @default "" */
  readonly instancePrefix?: string;
}
