/** Counters of one StageMetrics window (docs/extending.md, "StageMetrics"). */

/** Type-7 quantile (linear interpolation between order statistics) of sorted values; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** What one window counted. */
export interface WindowSnapshot {
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly arrivals: number;
  readonly completions: number;
  readonly violations: number;
  readonly earlyDrops: number;
  readonly rejected: number;
  readonly failures: number;
  readonly meanBatch: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
}

/** Latencies kept per window at most (a bounded sample: beyond it, later ones replace random earlier ones). */
const MAX_LATENCIES = 10_000;

/** The counters of a window, all zero at its start. */
const ZERO = { arrivals: 0, completions: 0, late: 0, earlyDrops: 0, rejected: 0, failures: 0, batches: 0, batched: 0 };

export class Window {
  private startMs: number;
  private n = { ...ZERO };
  private latencies: number[] = [];

  constructor(nowMs: number) {
    this.startMs = nowMs;
  }

  arrival(): void {
    this.n.arrivals++;
  }
  completion(latencyMs: number, late: boolean): void {
    this.n.completions++;
    if (late) this.n.late++;
    if (this.latencies.length < MAX_LATENCIES) this.latencies.push(latencyMs);
    else this.latencies[Math.floor(Math.random() * MAX_LATENCIES)] = latencyMs;
  }
  earlyDrop(): void {
    this.n.earlyDrops++;
  }
  rejection(): void {
    this.n.rejected++;
  }
  failure(): void {
    this.n.failures++;
  }
  batch(size: number): void {
    this.n.batches++;
    this.n.batched += size;
  }

  /** The window ending at `nowMs`; the next one starts there, so windows are contiguous. */
  take(nowMs: number): WindowSnapshot {
    const { n } = this;
    const sorted = this.latencies.sort((a, b) => a - b);
    const snap: WindowSnapshot = {
      windowStartMs: this.startMs,
      windowMs: nowMs - this.startMs,
      arrivals: n.arrivals,
      completions: n.completions,
      violations: n.late + n.earlyDrops,
      earlyDrops: n.earlyDrops,
      rejected: n.rejected,
      failures: n.failures,
      meanBatch: n.batches > 0 ? n.batched / n.batches : 0,
      latencyP50Ms: quantile(sorted, 0.5),
      latencyP95Ms: quantile(sorted, 0.95),
      latencyP99Ms: quantile(sorted, 0.99),
    };
    this.startMs = nowMs;
    this.n = { ...ZERO };
    this.latencies = [];
    return snap;
  }
}
