import type { FulcrumRequestParams } from "../oip/index.js";

/** What a client may say about its deadline: the validated `deadline_unix_ms` and `slo_ms` parameters. */
export type DeadlineParams = Pick<FulcrumRequestParams, "deadlineUnixMs" | "sloMs">;

/**
 * The request's absolute deadline (Unix ms): the client's `deadline_unix_ms`, else arrival + its
 * `slo_ms` (Sponge's per-request dynamic SLO), else arrival + the default SLO; and never later than
 * the transport's own deadline (a gRPC client's `grpc-timeout`) when one is given, since nobody
 * waits for an answer after it. Parameters are validated by `readRequestParams`; a deadline
 * already in the past is kept (the request is answered DEADLINE_EXCEEDED, not refused as invalid).
 * @param arrivalMs when the request arrived (Unix ms), not when a handler got to it
 * @param defaultSloMs budget of a request that states none, ms
 * @param transportDeadlineMs the caller's transport deadline, Unix ms (Infinity or undefined: none)
 */
export function requestDeadline(arrivalMs: number, params: DeadlineParams, defaultSloMs: number, transportDeadlineMs?: number): number {
  const stated = params.deadlineUnixMs ?? arrivalMs + (params.sloMs ?? defaultSloMs);
  return transportDeadlineMs !== undefined && transportDeadlineMs < stated ? transportDeadlineMs : stated;
}

/** Budget left until `deadlineMs` at `nowMs`, ms (negative when overdue). */
export function remainingMs(deadlineMs: number, nowMs: number): number {
  return deadlineMs - nowMs;
}

/**
 * The gRPC deadline of one stage call: the request's own deadline plus `graceMs`. The stage itself
 * drops requests it cannot finish in time (DEADLINE_EXCEEDED with its reason); the grace only
 * bounds how long the gateway waits on a replica that stopped answering, and lets a late result
 * still come back (a late answer is counted late, not lost).
 */
export function callDeadlineMs(deadlineMs: number, graceMs: number): number {
  return deadlineMs + graceMs;
}
