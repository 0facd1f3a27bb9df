import { quantile } from "../stats/index.js";
import type { RequestFate } from "./fate.js";


/** One request's record (a line of the JSONL report). */
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
  /** Variants that answered (`stage=variant,…`). */
  readonly variant?: string;
}

/** Status codes that are a server's reasoned refusal; anything else is a failure. */
const REJECTION_CODES = new Set(["DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION"]);

/** The fate of an answer: results by their latency against the SLO, errors by their status code. */
export function classify(answer: { ok: true } | { ok: false; code: string }, latencyMs: number, sloMs: number): RequestFate {
  if (answer.ok) return latencyMs <= sloMs ? "in-time" : "late";
  return REJECTION_CODES.has(answer.code) ? "rejected" : "failed";
}

/** The run's summary; `sent = inTime + late + rejectedWithReason` holds by construction and is checked. */
export interface RunSummary {
  readonly sent: number;
  readonly inTime: number;
  readonly late: number;
  /** Error answers of every kind, each with its status code (rejected + failed). */
  readonly rejectedWithReason: number;
  /** Of which: reasoned refusals (DEADLINE_EXCEEDED, UNAVAILABLE, RESOURCE_EXHAUSTED, …). */
  readonly rejected: number;
  /** Of which: failures (INTERNAL, UNKNOWN, CANCELLED, …). */
  readonly failed: number;
  /** Error answers per status code. */
  readonly byCode: Readonly<Record<string, number>>;
  /** Requests planned but never sent (the in-flight bound was hit, or the run was stopped). */
  readonly notSent: number;
  /** sent − (inTime + late + rejectedWithReason): always 0 unless the accounting is broken. */
  readonly unaccounted: number;
  /** inTime / sent (1 when nothing was sent). */
  readonly attainment: number;
  /** Latency quantiles of answered requests, ms (0 when none). */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  /** Answers per variant string. */
  readonly variants: Readonly<Record<string, number>>;
  /** Sent per second of wall time. */
  readonly achievedRps: number;
  readonly durationMs: number;
}

/** Summarises the records of a run. */
export function summarize(records: readonly SentRequestRecord[], planned: number, durationMs: number): RunSummary {
  const byCode: Record<string, number> = {};
  const variants: Record<string, number> = {};
  let inTime = 0;
  let late = 0;
  let rejected = 0;
  let failed = 0;
  const latencies: number[] = [];
  for (const r of records) {
    if (r.fate === "in-time") inTime++;
    else if (r.fate === "late") late++;
    else if (r.fate === "rejected") rejected++;
    else failed++;
    if (r.fate === "in-time" || r.fate === "late") {
      latencies.push(r.latencyMs);
      if (r.variant) variants[r.variant] = (variants[r.variant] ?? 0) + 1;
    } else {
      const c = r.code ?? "UNKNOWN";
      byCode[c] = (byCode[c] ?? 0) + 1;
    }
  }
  const sent = records.length;
  const rejectedWithReason = Object.values(byCode).reduce((a, b) => a + b, 0);
  const q = (p: number): number => (latencies.length ? quantile(latencies, p) : 0);
  return {
    sent,
    inTime,
    late,
    rejectedWithReason,
    rejected,
    failed,
    byCode,
    notSent: planned - sent,
    unaccounted: sent - (inTime + late + rejectedWithReason),
    attainment: sent === 0 ? 1 : inTime / sent,
    latencyP50Ms: q(0.5),
    latencyP95Ms: q(0.95),
    latencyP99Ms: q(0.99),
    variants,
    achievedRps: durationMs > 0 ? (sent * 1000) / durationMs : 0,
    durationMs,
  };
}

/** One human-readable line per summary. */
export function formatSummary(s: RunSummary): string {
  const codes = Object.entries(s.byCode).map(([c, n]) => `${c}=${n}`).join(" ");
  return (
    `sent ${s.sent} = in-time ${s.inTime} + late ${s.late} + rejected-with-reason ${s.rejectedWithReason}${codes ? ` (${codes})` : ""}` +
    `${s.unaccounted !== 0 ? `  UNACCOUNTED ${s.unaccounted}` : ""} | attainment ${(100 * s.attainment).toFixed(1)}% | ` +
    `p50 ${s.latencyP50Ms.toFixed(1)} ms p95 ${s.latencyP95Ms.toFixed(1)} ms p99 ${s.latencyP99Ms.toFixed(1)} ms | ${s.achievedRps.toFixed(1)} rps` +
    `${s.notSent > 0 ? ` | not sent ${s.notSent}` : ""}`
  );
}
