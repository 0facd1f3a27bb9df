/**
 * `@fulcrum/core/routing`: how the gateway (and the simulator) picks the replica of one stage call:
 * a variant by the Assignment's traffic shares (smooth weighted round robin), then the least-loaded
 * live replica of that variant, with ejection of replicas that failed. Pure: time is a parameter.
 */
export type { EligibilityRules, ReplicaInfo } from "./replica-choice.js";
export { eligibleReplicas, leastOutstanding } from "./replica-choice.js";
export type { Route, RouterOptions } from "./router.js";
export { Router } from "./router.js";
export type { WeightedCandidate, WrrPick, WrrState } from "./weighted-round-robin.js";
export { pickWeighted } from "./weighted-round-robin.js";
