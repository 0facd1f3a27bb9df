/**
 * The stage's own small queue: earliest-deadline-first, bounded, and honest about deadlines. A
 * request that cannot finish by its deadline, even if served right after everything due before
 * it, is dropped at once (DEADLINE_EXCEEDED) instead of wasting work. Pure: time is passed in.
 */

/** One queued request. */
export interface Entry<T> {
  readonly item: T;
  /** Absolute deadline, Unix ms. */
  readonly deadlineMs: number;
  /** Predicted service time, ms. */
  readonly costMs: number;
  readonly arrivalMs: number;
}

/** What {@link DeadlineQueue.offer} decided. */
export type Admission = "queued" | "full" | "unmeetable";

/**
 * Learns the service time per input byte online (exponentially weighted), so predictions follow
 * the machine and image sizes actually seen.
 */
export class CostModel {
  private msPerByte: number;
  private fixedMs: number;

  constructor(seed: { msPerByte: number; fixedMs: number }, private readonly alpha = 0.2) {
    this.msPerByte = seed.msPerByte;
    this.fixedMs = seed.fixedMs;
  }

  /** Predicted service time of a request of `bytes` input bytes, ms. */
  predict(bytes: number): number {
    return this.fixedMs + this.msPerByte * bytes;
  }

  /** Folds in one measured batch: `ms` spent on `bytes` input bytes. */
  observe(bytes: number, ms: number): void {
    if (bytes <= 0 || !(ms >= 0)) return;
    const rate = Math.max(0, ms - this.fixedMs) / bytes;
    this.msPerByte = (1 - this.alpha) * this.msPerByte + this.alpha * rate;
  }
}

export class DeadlineQueue<T> {
  private readonly entries: Array<Entry<T>> = [];

  constructor(private readonly maxSize: number) {}

  get size(): number {
    return this.entries.length;
  }

  /**
   * Admits `e` unless the queue is full, or `e` cannot finish by its deadline when served after
   * the work already due before it (plus `busyUntilMs`, the end of the batch in progress).
   */
  offer(e: Entry<T>, nowMs: number, busyUntilMs: number): Admission {
    if (this.entries.length >= this.maxSize) return "full";
    let start = Math.max(nowMs, busyUntilMs);
    for (const q of this.entries) if (q.deadlineMs <= e.deadlineMs) start += q.costMs;
    if (start + e.costMs > e.deadlineMs) return "unmeetable";
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.deadlineMs > e.deadlineMs) i--;
    this.entries.splice(i, 0, e);
    return "queued";
  }

  /**
   * Takes up to `max` requests in deadline order for a batch starting at `nowMs`, and separately
   * those that can no longer finish in time (to be answered DEADLINE_EXCEEDED).
   */
  take(max: number, nowMs: number): { batch: Array<Entry<T>>; expired: Array<Entry<T>> } {
    const batch: Array<Entry<T>> = [];
    const expired: Array<Entry<T>> = [];
    let end = nowMs;
    while (this.entries.length > 0 && batch.length < max) {
      const e = this.entries.shift()!;
      if (end + e.costMs > e.deadlineMs) expired.push(e);
      else {
        batch.push(e);
        end += e.costMs;
      }
    }
    return { batch, expired };
  }

  /** Empties the queue (on shutdown), returning what was in it. */
  drain(): Array<Entry<T>> {
    return this.entries.splice(0);
  }
}
