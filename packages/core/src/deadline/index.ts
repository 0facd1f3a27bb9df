/**
 * `@fulcrum/core/deadline`: a request's absolute deadline, the budget arithmetic every hop uses
 * (gateway, stage, simulator), so "in time" means the same thing everywhere, and the admission
 * rule that refuses at once what could not make its deadline.
 */
export type { AdmissionDecision, AdmissionOptions } from "./admission.js";
export { AdmissionGate } from "./admission.js";
export type { DeadlineParams } from "./deadline.js";
export { callDeadlineMs, remainingMs, requestDeadline } from "./deadline.js";
