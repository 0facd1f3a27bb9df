import type { StageAssignment } from "../assignment/index.js";
import type { ObservedReplica, ReconcileAction, ReconcileConfig, ReconcileInput, ReconcilePlan, ReconcileState, SlotTarget } from "./types.js";

/** Desired replicas per stage: `replicas` copies of each variant with traffic. */
export function desiredSlots(stages: readonly StageAssignment[]): Record<string, SlotTarget[]> {
  const out: Record<string, SlotTarget[]> = {};
  for (const s of stages) {
    const slots: SlotTarget[] = [];
    for (const v of s.variants) {
      if (!(v.weight > 0)) continue;
      for (let k = 0; k < v.replicas; k++) slots.push({ variant: v.variant, cores: v.coresPerReplica, batchSize: v.batch });
    }
    out[s.stage] = slots;
  }
  return out;
}

const sameTarget = (a: SlotTarget, b: SlotTarget): boolean => a.variant === b.variant && a.cores === b.cores && a.batchSize === b.batchSize;
const held = (r: ObservedReplica): number => Math.max(r.coresHeld ?? r.target.cores, r.target.cores);
const backoffKey = (stage: string, variant: string): string => `${stage}/${variant}`;
const byInstance = (a: ObservedReplica, b: ObservedReplica): number => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0);
/** Ready replicas first (they can change at once), then by name, so plans are deterministic. */
const readyFirst = (a: ObservedReplica, b: ObservedReplica): number => (a.phase === b.phase ? byInstance(a, b) : a.phase === "ready" ? -1 : 1);

interface Pairing {
  readonly keep: Array<{ replica: ObservedReplica; slot: SlotTarget }>;
  readonly retarget: Array<{ replica: ObservedReplica; slot: SlotTarget }>;
  readonly start: SlotTarget[];
  readonly surplus: ObservedReplica[];
}

/**
 * Pairs a stage's live replicas with its desired slots, fewest changes first: an identical target
 * is kept; then a replica of the same variant is retargeted (cores/batch in place); then, when
 * allowed, a replica of another variant it can serve switches in place; slots left need a new
 * replica; replicas left are surplus.
 */
function pair(live: readonly ObservedReplica[], desired: readonly SlotTarget[], config: ReconcileConfig): Pairing {
  const free = [...live].sort(readyFirst);
  const open: SlotTarget[] = [];
  const keep: Pairing["keep"] = [];
  const retarget: Pairing["retarget"] = [];
  for (const slot of desired) {
    const i = free.findIndex((r) => sameTarget(r.target, slot));
    if (i >= 0) keep.push({ replica: free.splice(i, 1)[0]!, slot });
    else open.push(slot);
  }
  const rules: Array<(r: ObservedReplica, s: SlotTarget) => boolean> = [(r, s) => r.target.variant === s.variant];
  if (config.inPlaceVariantChange) rules.push((r, s) => r.servable === undefined || r.servable.includes(s.variant));
  for (const fits of rules) {
    for (let k = 0; k < open.length; ) {
      const slot = open[k]!;
      const i = free.findIndex((r) => fits(r, slot));
      if (i < 0) {
        k++;
        continue;
      }
      retarget.push({ replica: free.splice(i, 1)[0]!, slot });
      open.splice(k, 1);
    }
  }
  return { keep, retarget, start: open, surplus: free };
}

/**
 * One reconciliation pass, level-triggered as a Kubernetes controller: from the desired replicas
 * (the Assignment in force) and the observed ones, the fewest actions that move the second toward
 * the first, preferring an in-place retarget over a start over a drain. Pure: the caller executes
 * the actions and calls again (every pass recomputes from what it observes, so a lost action is
 * simply planned again).
 *
 * Invariants (property-tested):
 * - the cores held never exceed `coreBudget` because of a planned action: a draining replica holds
 *   its cores until it is gone, an in-place change holds the larger of old and new until reported,
 *   and a start or a cores increase that does not fit is deferred until drains complete;
 * - the last ready replica of a variant that still has traffic is never drained or switched away
 *   (its replacement must be ready first);
 * - while a stage has replicas starting, its surplus replicas are not drained and its replicas do
 *   not shrink, unless a start or core increase of that stage waits for the core budget;
 * - at most `maxConcurrentStarts` replicas are starting, at most `maxActionsPerPass` actions are
 *   emitted, and a (stage, variant) whose start failed waits out its exponential backoff;
 * - dead replicas are forgotten and their slots restarted.
 */
export function planReconcile(input: ReconcileInput, state: ReconcileState, config: ReconcileConfig, nowMs: number): { plan: ReconcilePlan; state: ReconcileState } {
  const actions: ReconcileAction[] = [];
  const deferred: string[] = [];
  let nextSeq = state.nextSeq;
  const prefix = input.instancePrefix ?? "";

  for (const r of [...input.observed].filter((o) => o.phase === "dead").sort(byInstance)) {
    actions.push({ kind: "forget", instance: r.instance, stage: r.stage, reason: "its process exited or its heartbeat expired" });
  }
  const present = input.observed.filter((o) => o.phase !== "dead");
  let cores = present.reduce((s, r) => s + held(r), 0);
  let starting = present.filter((r) => r.phase === "starting").length;

  // Ready replicas per stage/variant that will still serve it after this pass (for the last-ready rule).
  const readyLeft = new Map<string, number>();
  for (const r of present) if (r.phase === "ready") readyLeft.set(backoffKey(r.stage, r.target.variant), (readyLeft.get(backoffKey(r.stage, r.target.variant)) ?? 0) + 1);
  const wanted = (stage: string, variant: string): boolean => (input.desired[stage] ?? []).some((s) => s.variant === variant);
  /** Whether `r` may stop serving its variant now without leaving a wanted variant with no ready replica. */
  const mayLeave = (r: ObservedReplica): boolean => {
    if (r.phase !== "ready" || !wanted(r.stage, r.target.variant)) return true;
    return (readyLeft.get(backoffKey(r.stage, r.target.variant)) ?? 0) > 1;
  };
  const leave = (r: ObservedReplica): void => {
    if (r.phase === "ready") readyLeft.set(backoffKey(r.stage, r.target.variant), (readyLeft.get(backoffKey(r.stage, r.target.variant)) ?? 0) - 1);
  };

  const stages = [...new Set([...Object.keys(input.desired), ...present.map((r) => r.stage)])].sort();
  /** Surplus drains per stage: held back while the stage's new replicas start (make before break). */
  const surplusDrains = new Map<string, ReconcileAction[]>();
  /** Retargets at the same cores (a batch or variant change): nothing to wait for. */
  const sameCores: ReconcileAction[] = [];
  /** Retargets to fewer cores: like surplus drains, held back while the stage's new replicas start. */
  const shrinks: ReconcileAction[] = [];
  const dearer: Array<{ action: ReconcileAction; delta: number }> = [];
  const starts: Array<{ stage: string; slot: SlotTarget }> = [];
  for (const stage of stages) {
    const live = present.filter((r) => r.stage === stage && (r.phase === "ready" || r.phase === "starting"));
    const p = pair(live, input.desired[stage] ?? [], config);
    for (const { replica, slot } of p.retarget) {
      const switching = replica.target.variant !== slot.variant;
      if (switching && !mayLeave(replica)) {
        deferred.push(`${replica.instance}: waits for another ready replica of ${replica.target.variant} before switching to ${slot.variant}`);
        continue;
      }
      if (switching) leave(replica);
      const action: ReconcileAction = {
        kind: "retarget",
        instance: replica.instance,
        stage,
        from: replica.target,
        to: slot,
        reason: switching ? `variant ${replica.target.variant} → ${slot.variant} in place` : `cores/batch ${replica.target.cores}/${replica.target.batchSize} → ${slot.cores}/${slot.batchSize} in place`,
      };
      const delta = slot.cores - held(replica);
      if (delta > 0) dearer.push({ action, delta });
      else if (delta < 0) shrinks.push(action);
      else sameCores.push(action);
    }
    for (const slot of p.start) starts.push({ stage, slot });
    for (const r of [...p.surplus].sort(byInstance)) {
      if (!mayLeave(r)) {
        deferred.push(`${r.instance}: last ready replica of ${r.target.variant}, kept until another is ready`);
        continue;
      }
      leave(r);
      const list = surplusDrains.get(stage) ?? [];
      list.push({ kind: "drain", instance: r.instance, stage, target: r.target, reason: `surplus: stage ${stage} wants ${(input.desired[stage] ?? []).length} replica(s)` });
      surplusDrains.set(stage, list);
    }
  }

  /** Stages where a start or a core increase waits for the core budget: their drains must go ahead to free it. */
  const budgetBound = new Set<string>();
  const changes: ReconcileAction[] = [...sameCores];
  for (const { action, delta } of dearer) {
    if (cores + delta > input.coreBudget) {
      deferred.push(`${action.instance}: +${delta} core(s) waits for the core budget (${cores}/${input.coreBudget} held)`);
      budgetBound.add(action.stage);
      continue;
    }
    cores += delta;
    changes.push(action);
  }
  const startActions: ReconcileAction[] = [];
  /** Stages with a replica starting after this pass (already, or started now). */
  const growing = new Set(present.filter((r) => r.phase === "starting").map((r) => r.stage));
  for (const { stage, slot } of starts) {
    const key = backoffKey(stage, slot.variant);
    const b = state.backoff[key];
    if (b && b.untilMs > nowMs) {
      deferred.push(`${key}: start backed off for ${Math.ceil(b.untilMs - nowMs)} ms after ${b.failures} failed start(s)`);
      continue;
    }
    if (starting >= config.maxConcurrentStarts) {
      deferred.push(`${key}: ${starting} replica(s) already starting (max ${config.maxConcurrentStarts})`);
      continue;
    }
    if (cores + slot.cores > input.coreBudget) {
      deferred.push(`${key}: a new ${slot.cores}-core replica waits for the core budget (${cores}/${input.coreBudget} held)`);
      budgetBound.add(stage);
      continue;
    }
    cores += slot.cores;
    starting += 1;
    growing.add(stage);
    startActions.push({ kind: "start", instance: `${stage}-${prefix}${nextSeq++}`, stage, target: slot, reason: `stage ${stage} wants another ${slot.variant} replica` });
  }
  // Make before break, as a rolling update does: while a stage's new replicas start, its surplus
  // replicas keep serving and its replicas keep their cores (a move onto other variants or sizes
  // would otherwise lose that capacity for a whole cold start), unless the new replicas need the
  // cores they hold.
  const holdBack = (stage: string): boolean => growing.has(stage) && !budgetBound.has(stage);
  const drains: ReconcileAction[] = [];
  for (const [stage, list] of surplusDrains) {
    if (holdBack(stage)) {
      for (const d of list) deferred.push(`${d.instance}: surplus, keeps serving until the new replicas of stage ${stage} are ready`);
    } else drains.push(...list);
  }
  for (const a of shrinks) {
    if (holdBack(a.stage)) deferred.push(`${a.instance}: keeps its cores until the new replicas of stage ${a.stage} are ready`);
    else changes.push(a);
  }
  actions.push(...drains, ...changes, ...startActions);

  const emitted = actions.slice(0, config.maxActionsPerPass);
  for (const a of actions.slice(config.maxActionsPerPass)) deferred.push(`${a.instance}: ${a.kind} waits for the next pass (rate limit ${config.maxActionsPerPass})`);
  // Ids of starts cut by the rate limit are not reused: ids only need to be unique.
  return {
    plan: { actions: emitted, deferred, converged: emitted.length === 0 && deferred.length === 0 },
    state: { ...state, nextSeq },
  };
}

/** Records a failed start of `stage`/`variant`: the next start waits `base · 2^(failures−1)` ms (capped). */
export function recordStartFailure(state: ReconcileState, stage: string, variant: string, config: ReconcileConfig, nowMs: number): ReconcileState {
  const key = backoffKey(stage, variant);
  const failures = (state.backoff[key]?.failures ?? 0) + 1;
  const waitMs = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** (failures - 1));
  return { ...state, backoff: { ...state.backoff, [key]: { failures, untilMs: nowMs + waitMs } } };
}

/** Clears the backoff of `stage`/`variant` after a replica of it became ready. */
export function recordStartSuccess(state: ReconcileState, stage: string, variant: string): ReconcileState {
  const key = backoffKey(stage, variant);
  if (!(key in state.backoff)) return state;
  const { [key]: _gone, ...rest } = state.backoff;
  return { ...state, backoff: rest };
}
