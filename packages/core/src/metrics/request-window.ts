import type { GatewayWindow } from "./gateway-window.js";
import type { RequestFate } from "../accounting/index.js";
import { quantile } from "../stats/index.js";

/** One finished request, as the metrics window records it. */
export interface FinishedRequest {
  readonly fate: RequestFate;
  /** Arrival → answer, ms. */
  readonly latencyMs: number;
  /** Budget left on arrival (deadline − arrival), ms. */
  readonly budgetMs: number;
  /** Pipeline accuracy of the answer (product over its variants), when every variant's accuracy is known. */
  readonly accuracy?: number;
}

/**
 * Per-window request accounting of one pipeline. Arrivals are counted when a request comes in,
 * fates when it ends (a request may arrive in one window and end in the next). At most
 * `maxSamples` latencies and budgets are kept per window for the quantiles; counters are exact.
 */
export class RequestWindow {
  private startMs: number;
  private arrivals = 0;
  private counts: Record<RequestFate, number> = { "in-time": 0, late: 0, rejected: 0, failed: 0 };
  private latencies: number[] = [];
  private budgets: number[] = [];
  private accuracySum = 0;
  private accuracyCount = 0;

  constructor(
    /** Pipeline the window counts. */
    readonly pipeline: string,
    nowMs: number,
    private readonly maxSamples = 20_000,
  ) {
    this.startMs = nowMs;
  }

  /** Counts an arrival with its budget (deadline − arrival), ms. */
  arrive(budgetMs: number): void {
    this.arrivals += 1;
    if (this.budgets.length < this.maxSamples) this.budgets.push(budgetMs);
  }

  /** Counts a request's end. */
  finish(r: Omit<FinishedRequest, "budgetMs">): void {
    this.counts[r.fate] += 1;
    if ((r.fate === "in-time" || r.fate === "late") && this.latencies.length < this.maxSamples) this.latencies.push(r.latencyMs);
    if ((r.fate === "in-time" || r.fate === "late") && r.accuracy !== undefined) {
      this.accuracySum += r.accuracy;
      this.accuracyCount += 1;
    }
  }

  /** Returns the window ending at `nowMs` and starts the next one. */
  take(nowMs: number): GatewayWindow {
    const q = (s: number[], p: number): number => (s.length === 0 ? 0 : quantile(s, p));
    const snap: GatewayWindow = {
      pipeline: this.pipeline,
      windowStartMs: this.startMs,
      windowMs: Math.max(0, nowMs - this.startMs),
      arrivals: this.arrivals,
      answeredInTime: this.counts["in-time"],
      late: this.counts.late,
      rejected: this.counts.rejected,
      failed: this.counts.failed,
      latencyP50Ms: q(this.latencies, 0.5),
      latencyP95Ms: q(this.latencies, 0.95),
      latencyP99Ms: q(this.latencies, 0.99),
      budgetP10Ms: q(this.budgets, 0.1),
      budgetP50Ms: q(this.budgets, 0.5),
      meanAccuracy: this.accuracyCount === 0 ? 0 : this.accuracySum / this.accuracyCount,
    };
    this.startMs = nowMs;
    this.arrivals = 0;
    this.counts = { "in-time": 0, late: 0, rejected: 0, failed: 0 };
    this.latencies = [];
    this.budgets = [];
    this.accuracySum = 0;
    this.accuracyCount = 0;
    return snap;
  }
}
