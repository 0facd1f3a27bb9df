import { RunAccumulator } from "./accumulator.js";
import type { RequestFate } from "./fate.js";

/** One sent request's record (a line of the JSONL report). */
export interface SentRequestRecord {
  readonly seq: number;
  /** Planned send time, ms after the start. */
  readonly atMs: number;
  /** Actual send time, ms after the start. */
  readonly sentMs: number;
  readonly sloMs: number;
  readonly fate: RequestFate;
  /** Send → answer, ms. */
  readonly latencyMs: number;
  /** gRPC status name of an error answer (rejected or failed). */
  readonly code?: string;
  readonly details?: string;
  /** Fulcrum's stable error code of an error answer (the `fulcrum-error-code` trailer: `GATEWAY_OVERLOADED`, `QUEUE_FULL`, …), when the server stated one. */
  readonly errorCode?: string;
  /** Variants that answered (`stage=variant,…`). */
  readonly variant?: string;
}

/**
 * Why a planned request was not sent: the in-flight bound was hit (`in-flight-bound`), the sender
 * fell further behind the plan than it may (`behind-schedule`: sending it late would distort the
 * arrival process), or the run was stopped before its time (`stopped`).
 */
export type NotSentReason = "in-flight-bound" | "behind-schedule" | "stopped";

/** Status codes that are a server's reasoned refusal when the server stated them; anything else is a failure. */
const REJECTION_CODES = new Set(["DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION"]);

/** An error answer as a client received it. */
export interface ErrorAnswer {
  readonly ok: false;
  /** gRPC status name. */
  readonly code: string;
  /**
   * Whether a server stated the error (it carried the server's own error code, as every Fulcrum
   * service's errors do). A status the client's library made up (a dropped connection's
   * UNAVAILABLE, a reset stream's INTERNAL) is a transport failure, not a reason.
   */
  readonly stated: boolean;
}

/**
 * The fate of an answer: results by their latency against the SLO; errors by their status code,
 * a reason only when a server stated it, or when the client's own deadline passed
 * (DEADLINE_EXCEEDED: the time the client allowed was not enough).
 */
export function classify(answer: { ok: true } | ErrorAnswer, latencyMs: number, sloMs: number): RequestFate {
  if (answer.ok) return latencyMs <= sloMs ? "in-time" : "late";
  if (answer.code === "DEADLINE_EXCEEDED") return "rejected";
  return answer.stated && REJECTION_CODES.has(answer.code) ? "rejected" : "failed";
}

/** What a load generator counted while it ran, independently of the records (so the ledger is a check, not an identity). */
export interface RunCounts {
  /** Requests in the plan. */
  readonly planned: number;
  /** Requests handed to the transport, counted at send time. */
  readonly sent: number;
  /** Planned requests not sent, by reason, counted when the decision was made. */
  readonly notSent: Readonly<Partial<Record<NotSentReason, number>>>;
}

/**
 * The run's ledger (docs/architecture.md#request-ledger):
 * `planned = sent + not-sent` and `sent = in-time + late + rejected-with-reason + failed`, each side
 * counted on its own; {@link RunSummary.ledgerExact} says whether both hold exactly.
 */
export interface RunSummary {
  readonly planned: number;
  readonly sent: number;
  readonly notSent: number;
  /** Not sent, per reason. */
  readonly notSentByReason: Readonly<Partial<Record<NotSentReason, number>>>;
  /** Answered with a result within the SLO, as the client measured it. */
  readonly inTime: number;
  /** Answered with a result after the SLO. */
  readonly late: number;
  /** Refused with a reason the client can act on (DEADLINE_EXCEEDED, UNAVAILABLE, RESOURCE_EXHAUSTED, …). */
  readonly rejectedWithReason: number;
  /** Rejections per gRPC status name. */
  readonly rejectedByCode: Readonly<Record<string, number>>;
  /** Failures: INTERNAL, UNKNOWN, CANCELLED, a reset transport: errors without a reason. */
  readonly failed: number;
  /** Failures per gRPC status name. */
  readonly failedByCode: Readonly<Record<string, number>>;
  /** planned − (sent + notSent): 0 unless requests went missing before sending. */
  readonly unaccountedPlanned: number;
  /** sent − (inTime + late + rejectedWithReason + failed): 0 unless answers went missing or came twice. */
  readonly unaccounted: number;
  /** Both equations hold exactly. */
  readonly ledgerExact: boolean;
  /** inTime / sent (1 when nothing was sent). */
  readonly attainment: number;
  /** Latency quantiles of answered requests (in time or late), ms (0 when none). */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  /** Latency quantiles of rejections, ms (0 when none): how fast a refusal comes back. */
  readonly rejectP50Ms: number;
  readonly rejectP99Ms: number;
  /** How late requests were sent against the plan (actual − planned send time), ms: p99 and max (0 when none sent). */
  readonly sendLagP99Ms: number;
  readonly sendLagMaxMs: number;
  /** Answers per variant string. */
  readonly variants: Readonly<Record<string, number>>;
  /** Sent per second of wall time. */
  readonly achievedRps: number;
  readonly durationMs: number;
}

/**
 * Summarises a run from its records and what the sender counted (a {@link RunAccumulator} fed with
 * every record: a long run should feed one as it goes instead of keeping its records).
 */
export function summarize(records: readonly SentRequestRecord[], counts: RunCounts, durationMs: number): RunSummary {
  const acc = new RunAccumulator();
  for (const r of records) acc.add(r);
  return acc.summary(counts, durationMs);
}

const codes = (byCode: Readonly<Record<string, number>>): string => {
  const s = Object.entries(byCode).map(([c, n]) => `${c}=${n}`).join(" ");
  return s ? ` (${s})` : "";
};

/**
 * The run's final line: every planned request and where it went, then attainment, latency and
 * rate. `LEDGER MISMATCH` names the equation that does not hold.
 */
export function formatSummary(s: RunSummary): string {
  const mismatch = [
    s.unaccountedPlanned !== 0 ? `planned − sent − not-sent = ${s.unaccountedPlanned}` : "",
    s.unaccounted !== 0 ? `sent − fates = ${s.unaccounted}` : "",
  ].filter(Boolean);
  return (
    `planned ${s.planned} = sent ${s.sent} + not-sent ${s.notSent}${codes(s.notSentByReason as Record<string, number>)} | ` +
    `sent ${s.sent} = in-time ${s.inTime} + late ${s.late} + rejected-with-reason ${s.rejectedWithReason}${codes(s.rejectedByCode)} + failed ${s.failed}${codes(s.failedByCode)}` +
    `${mismatch.length > 0 ? ` | LEDGER MISMATCH: ${mismatch.join(", ")}` : ""} | attainment ${(100 * s.attainment).toFixed(1)}% | ` +
    `p50 ${s.latencyP50Ms.toFixed(1)} ms p95 ${s.latencyP95Ms.toFixed(1)} ms p99 ${s.latencyP99Ms.toFixed(1)} ms | reject p99 ${s.rejectP99Ms.toFixed(1)} ms | ` +
    `${s.achievedRps.toFixed(1)} rps sent, send lag p99 ${s.sendLagP99Ms.toFixed(1)} ms`
  );
}
