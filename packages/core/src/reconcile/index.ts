/**
 * `@fulcrum/core/reconcile`: the elastic-replica reconciler's planning, pure so that the live
 * actuator loop and the simulator run the same rules: from the replicas an Assignment wants and the
 * replicas observed, the fewest actions (retarget in place, start, drain, forget) within a core budget.
 */
export { desiredSlots, planReconcile, recordStartFailure, recordStartSuccess } from "./plan.js";
export type { ObservedReplica, ReconcileAction, ReconcileConfig, ReconcileInput, ReconcilePlan, ReconcileState, ReplicaPhase, SlotTarget, StartBackoff } from "./types.js";
export { DEFAULT_RECONCILE_CONFIG, INITIAL_RECONCILE_STATE } from "./types.js";
