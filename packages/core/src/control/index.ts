/**
 * `@fulcrum/core/control`: the control plane's domain messages and the optimizer's pure bookkeeping
 * (ack tracking, assignment diffs, building a policy input from forecasts and load).
 */
export type { InstanceAck, VersionAcks } from "./ack-tracker.js";
export { AckTracker } from "./ack-tracker.js";
export type { AllocationChange } from "./assignment-diff.js";
export { diffAssignments } from "./assignment-diff.js";
export type { AssignmentAckRecord, LoadForecast, LoadSample, RegistryRecord, ReplicaPlacement, ReplicaState, StageSample } from "./messages.js";
export { REPLICA_STATES } from "./messages.js";
export type { DecisionContext, DecisionRate, InputGap, RecentLoad } from "./policy-input.js";
export { budgetsFromLoad, buildPolicyInput, decisionRate, forecastRps, observedMeanRps, usableForecast } from "./policy-input.js";
