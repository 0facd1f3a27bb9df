/**
 * `@fulcrum/core/deadline`: a request's absolute deadline and the budget arithmetic every hop uses
 * (gateway, stage, simulator), so "in time" means the same thing everywhere.
 */
export type { DeadlineParams } from "./deadline.js";
export { callDeadlineMs, remainingMs, requestDeadline } from "./deadline.js";
