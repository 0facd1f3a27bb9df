export type { Assignment, StageAssignment, VariantAllocation } from "./assignment.js";
export { totalCores } from "./assignment.js";
export type { ReplicaTarget } from "./replica-target.js";
export { targetForReplica } from "./replica-target.js";
