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

/**
 * What the client saw of a request whose transport stream closed before the server answered it.
 * At or after the client's own deadline the client's gRPC library ended the call with
 * DEADLINE_EXCEEDED (a reason: `rejected`); before it, the client cancelled or the connection was
 * reset (CANCELLED, INTERNAL or UNAVAILABLE without a server's reason: `failed`).
 * @param closedMs when the stream closed, Unix ms
 * @param clientDeadlineMs the client's transport deadline as the server computed it (arrival +
 *   `grpc-timeout`), Unix ms (undefined: the client set none)
 * @param toleranceMs how much earlier than that the client's own timer may fire: the server's copy
 *   of the deadline is later by the request's transit time, ms
 */
export function fateOfTransportClose(closedMs: number, clientDeadlineMs: number | undefined, toleranceMs: number): { fate: "rejected" | "failed"; code: "DEADLINE_EXCEEDED" | "CANCELLED" } {
  return clientDeadlineMs !== undefined && closedMs >= clientDeadlineMs - toleranceMs ? { fate: "rejected", code: "DEADLINE_EXCEEDED" } : { fate: "failed", code: "CANCELLED" };
}

/**
 * How much earlier than the server's copy of a client's deadline (arrival + `grpc-timeout`) the
 * client's own timer may fire: the request's transit time from the client's send to the server's
 * arrival stamp, which the server cannot see. It grows with load (a busy client or server event
 * loop holds the request before it is stamped), so it is the larger of `floorMs` and `budgetShare`
 * of the client's budget, ms. A close within it of the client's deadline is that deadline passing.
 * @param arrivalMs when the server stamped the request's arrival, Unix ms
 * @param clientDeadlineMs the client's deadline as the server computed it, Unix ms (undefined: none)
 */
export function transitToleranceMs(arrivalMs: number, clientDeadlineMs: number | undefined, floorMs = 50, budgetShare = 0.1): number {
  return clientDeadlineMs === undefined ? floorMs : Math.max(floorMs, budgetShare * (clientDeadlineMs - arrivalMs));
}
