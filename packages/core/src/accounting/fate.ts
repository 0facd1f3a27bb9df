/**
 * How a request ended, one definition for the gateway, the load generator, the monitor and the
 * simulator (docs/architecture.md#metrics): answered `in-time` (at or before its deadline) or `late`;
 * `rejected` with a reason the client can act on (DEADLINE_EXCEEDED, UNAVAILABLE,
 * RESOURCE_EXHAUSTED, INVALID_ARGUMENT, …); or `failed` (INTERNAL, a reset transport, anything
 * without a reason). The ledger: `sent = in-time + late + rejected + failed`.
 */
export type RequestFate = "in-time" | "late" | "rejected" | "failed";

/** Fate of an answered request: in time when it finished at or before its deadline. */
export function answeredFate(finishedMs: number, deadlineMs: number): "in-time" | "late" {
  return finishedMs <= deadlineMs ? "in-time" : "late";
}
