import type { VariantAllocation } from "@fulcrum/core";

/**
 * How a system applies a new assignment to a stage's replicas:
 * - `in-place` (Fulcrum, Sponge): a kept replica changes cores and even variant in place (a new
 *   session built beside the old one, switched between batches); only missing replicas start cold;
 * - `rolling` (a Kubernetes Deployment update, as InfAdapter, IPA and InfAdapter's VPA apply
 *   changes): any change of variant or cores is a new replica (cold start); the replicas it
 *   replaces keep serving until the new ones are ready (make before break);
 * - `recreate` (Kubernetes VPA in `Auto` mode, as Sponge's VPA baseline ran): a replica whose
 *   cores or variant change is evicted at once and a new one started (break before make).
 * Batch-size changes apply at the next batch in every mode (a queue setting, not a restart).
 */
export const ACTUATION_MODES = ["in-place", "rolling", "recreate"] as const;
export type ActuationMode = (typeof ACTUATION_MODES)[number];

/** A replica as the planner sees it. */
export interface ReplicaView {
  readonly id: number;
  /** Variant served, or being switched to when a switch is under way. */
  readonly variant: string;
  /** Cores, or those being switched to. */
  readonly cores: number;
  readonly batch: number;
  readonly state: "starting" | "ready" | "draining";
}

/** One step of a plan. */
export type ActuationAction =
  /** Keep replica `replica` and give it this configuration (in place; no-op fields are unchanged). */
  | { readonly kind: "retarget"; readonly replica: number; readonly variant: string; readonly cores: number; readonly batch: number }
  /** Start a new replica (cold start). */
  | { readonly kind: "start"; readonly variant: string; readonly cores: number; readonly batch: number }
  /** Drain replica `replica`: `now`, or once the replicas this plan starts for the stage are ready. */
  | { readonly kind: "drain"; readonly replica: number; readonly when: "now" | "after-starts" };

/**
 * Plans the actions that take one stage from its replicas to the desired allocations, keeping
 * every replica that can stay (same variant first, same cores first, ready before starting,
 * oldest first) and, in `in-place` mode, re-targeting leftover replicas to missing variants
 * before starting new ones. Draining replicas are left alone. Pure and deterministic.
 *
 * TODO(core/reconcile): replace by the reconciler's pure planning function
 * (`@fulcrum/core/reconcile`) once it lands; this planner only fills the seam.
 */
export function planStage(replicas: readonly ReplicaView[], desired: readonly VariantAllocation[], mode: ActuationMode): ActuationAction[] {
  const actions: ActuationAction[] = [];
  const free = replicas.filter((r) => r.state !== "draining").sort((a, b) => rank(a) - rank(b) || a.id - b.id);
  const taken = new Set<number>();
  const short: { alloc: VariantAllocation; missing: number }[] = [];
  for (const alloc of desired) {
    if (alloc.replicas <= 0 || alloc.weight <= 0) continue;
    const sameVariant = free.filter((r) => !taken.has(r.id) && r.variant === alloc.variant);
    // Same cores first: they need no switch at all.
    sameVariant.sort((a, b) => Number(b.cores === alloc.coresPerReplica) - Number(a.cores === alloc.coresPerReplica));
    const usable = mode === "in-place" ? sameVariant : sameVariant.filter((r) => r.cores === alloc.coresPerReplica);
    const keep = usable.slice(0, alloc.replicas);
    for (const r of keep) {
      taken.add(r.id);
      if (r.cores !== alloc.coresPerReplica || r.batch !== alloc.batch) {
        actions.push({ kind: "retarget", replica: r.id, variant: alloc.variant, cores: alloc.coresPerReplica, batch: alloc.batch });
      }
    }
    if (keep.length < alloc.replicas) short.push({ alloc, missing: alloc.replicas - keep.length });
  }
  const leftovers = free.filter((r) => !taken.has(r.id));
  let starts = 0;
  for (const { alloc, missing } of short) {
    for (let k = 0; k < missing; k++) {
      const reuse = mode === "in-place" ? leftovers.shift() : undefined;
      if (reuse) actions.push({ kind: "retarget", replica: reuse.id, variant: alloc.variant, cores: alloc.coresPerReplica, batch: alloc.batch });
      else {
        actions.push({ kind: "start", variant: alloc.variant, cores: alloc.coresPerReplica, batch: alloc.batch });
        starts++;
      }
    }
  }
  for (const r of leftovers) actions.push({ kind: "drain", replica: r.id, when: mode === "rolling" && starts > 0 ? "after-starts" : "now" });
  return actions;
}

function rank(r: ReplicaView): number {
  return r.state === "ready" ? 0 : 1;
}
