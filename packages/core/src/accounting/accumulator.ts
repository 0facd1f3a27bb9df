import { Samples, sortedQuantile } from "../stats/index.js";
import type { RequestFate } from "./fate.js";
import type { RunCounts, RunSummary, SentRequestRecord } from "./ledger.js";

/** What the accumulator reads of a request's record. */
export type AccountedRequest = Pick<SentRequestRecord, "atMs" | "sentMs" | "fate" | "latencyMs" | "code" | "variant">;

/**
 * The run's ledger, accumulated one request at a time as each fate becomes known, so a long run
 * keeps no record per request. It keeps counts by fate, by status code and by variant (bounded by
 * the distinct codes and variants), and as float64 samples: every request's send lag, and the
 * latency of every answer and of every rejection (8 bytes each, so about 16 bytes a request: 1.6 MB
 * for the loadgen's default bound of 100 000 requests, a few MB with the buffers' doubling slack).
 * Quantiles are exact, the same {@link RunSummary} as `summarize` of the same records in the
 * same order (maps list their keys in the order of first appearance).
 */
export class RunAccumulator {
  private readonly fates: Record<RequestFate, number> = { "in-time": 0, late: 0, rejected: 0, failed: 0 };
  private readonly rejectedByCode = new Map<string, number>();
  private readonly failedByCode = new Map<string, number>();
  private readonly variants = new Map<string, number>();
  private readonly latencies = new Samples();
  private readonly rejects = new Samples();
  private readonly lags = new Samples();

  /** Accounts for one sent request whose fate is known. */
  add(r: AccountedRequest): void {
    this.fates[r.fate] += 1;
    this.lags.push(r.sentMs - r.atMs);
    if (r.fate === "in-time" || r.fate === "late") {
      this.latencies.push(r.latencyMs);
      if (r.variant) bump(this.variants, r.variant);
      return;
    }
    bump(r.fate === "rejected" ? this.rejectedByCode : this.failedByCode, r.code ?? "UNKNOWN");
    if (r.fate === "rejected") this.rejects.push(r.latencyMs);
  }

  /**
   * The ledger of what was accumulated against what the sender counted; it may be taken at any
   * time (the accumulator is left as it is).
   * @param durationMs wall time of the run, ms (for the achieved rate)
   */
  summary(counts: RunCounts, durationMs: number): RunSummary {
    const notSent = Object.values(counts.notSent).reduce((a, b) => a + b, 0);
    const unaccountedPlanned = counts.planned - (counts.sent + notSent);
    const unaccounted = counts.sent - (this.fates["in-time"] + this.fates.late + this.fates.rejected + this.fates.failed);
    const q = (s: readonly number[], p: number): number => (s.length === 0 ? 0 : sortedQuantile(s, p));
    const [latencies, rejects, lags] = [this.latencies.sorted(), this.rejects.sorted(), this.lags.sorted()];
    return {
      planned: counts.planned,
      sent: counts.sent,
      notSent,
      notSentByReason: { ...counts.notSent },
      inTime: this.fates["in-time"],
      late: this.fates.late,
      rejectedWithReason: this.fates.rejected,
      rejectedByCode: Object.fromEntries(this.rejectedByCode),
      failed: this.fates.failed,
      failedByCode: Object.fromEntries(this.failedByCode),
      unaccountedPlanned,
      unaccounted,
      ledgerExact: unaccountedPlanned === 0 && unaccounted === 0,
      attainment: counts.sent === 0 ? 1 : this.fates["in-time"] / counts.sent,
      latencyP50Ms: q(latencies, 0.5),
      latencyP95Ms: q(latencies, 0.95),
      latencyP99Ms: q(latencies, 0.99),
      rejectP50Ms: q(rejects, 0.5),
      rejectP99Ms: q(rejects, 0.99),
      sendLagP99Ms: q(lags, 0.99),
      sendLagMaxMs: lags.length === 0 ? 0 : lags[lags.length - 1]!,
      variants: Object.fromEntries(this.variants),
      achievedRps: durationMs > 0 ? (counts.sent * 1000) / durationMs : 0,
      durationMs,
    };
  }
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}
