import { sortedQuantile } from "../stats/index.js";
/** Counters of one metrics window; `take` returns them and starts a new window. */
export interface StageWindow {
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly arrivals: number;
  readonly completions: number;
  readonly violations: number;
  readonly earlyDrops: number;
  readonly rejected: number;
  readonly failures: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  readonly meanBatch: number;
  readonly batches: number;
}


/**
 * Per-window request accounting for StageMetrics. Latencies are kept up to `maxSamples` per window
 * (reservoir-free truncation: later samples past the cap are dropped from the percentiles only,
 * never from the counters).
 */
export class StageWindowStats {
  private start: number;
  private arrivals = 0;
  private completions = 0;
  private violations = 0;
  private earlyDrops = 0;
  private rejected = 0;
  private failures = 0;
  private batches = 0;
  private batchedRequests = 0;
  private latencies: number[] = [];

  constructor(nowMs: number, private readonly maxSamples = 100_000) {
    this.start = nowMs;
  }

  arrival(): void { this.arrivals++; }
  rejection(): void { this.rejected++; }
  earlyDrop(): void { this.earlyDrops++; this.violations++; }
  failure(): void { this.failures++; }
  batch(size: number): void { this.batches++; this.batchedRequests += size; }
  completion(latencyMs: number, late: boolean): void {
    this.completions++;
    if (late) this.violations++;
    if (this.latencies.length < this.maxSamples) this.latencies.push(latencyMs);
  }

  take(nowMs: number): StageWindow {
    const sorted = this.latencies.sort((a, b) => a - b);
    const q = (p: number): number => (sorted.length === 0 ? 0 : sortedQuantile(sorted, p));
    const snap: StageWindow = {
      windowStartMs: this.start,
      windowMs: Math.max(0, nowMs - this.start),
      arrivals: this.arrivals,
      completions: this.completions,
      violations: this.violations,
      earlyDrops: this.earlyDrops,
      rejected: this.rejected,
      failures: this.failures,
      latencyP50Ms: q(0.5),
      latencyP95Ms: q(0.95),
      latencyP99Ms: q(0.99),
      meanBatch: this.batches > 0 ? this.batchedRequests / this.batches : 0,
      batches: this.batches,
    };
    this.start = nowMs;
    this.arrivals = this.completions = this.violations = this.earlyDrops = this.rejected = this.failures = 0;
    this.batches = this.batchedRequests = 0;
    this.latencies = [];
    return snap;
  }
}
