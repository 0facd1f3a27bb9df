import { InvalidArgumentError } from "@fulcrum/core";

/** What a client may say about its deadline (OIP request parameters). */
export interface DeadlineParams {
  /** `deadline_unix_ms`: absolute deadline, Unix ms. Wins over `sloMs`. */
  readonly deadlineUnixMs?: number;
  /** `slo_ms`: latency budget from arrival, ms. */
  readonly sloMs?: number;
}

/**
 * The request's absolute deadline (Unix ms): the client's `deadline_unix_ms`, else arrival + its
 * `slo_ms` (Sponge's per-request dynamic SLO), else arrival + the pipeline SLO. A non-positive or
 * non-finite `slo_ms`, or a non-finite deadline, is the client's mistake: INVALID_ARGUMENT naming
 * the parameter. A deadline already in the past is not: it is answered DEADLINE_EXCEEDED later.
 */
export function requestDeadline(arrivalMs: number, params: DeadlineParams, pipelineSloMs: number): number {
  if (params.deadlineUnixMs !== undefined) {
    if (!Number.isFinite(params.deadlineUnixMs) || params.deadlineUnixMs <= 0) {
      throw new InvalidArgumentError("parameters.deadline_unix_ms", `must be a positive Unix time in ms, got ${params.deadlineUnixMs}`);
    }
    return params.deadlineUnixMs;
  }
  if (params.sloMs !== undefined) {
    if (!Number.isFinite(params.sloMs) || params.sloMs <= 0) throw new InvalidArgumentError("parameters.slo_ms", `must be > 0 ms, got ${params.sloMs}`);
    return arrivalMs + params.sloMs;
  }
  return arrivalMs + pipelineSloMs;
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
