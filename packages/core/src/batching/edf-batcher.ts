import { DeadlineHeap } from "./deadline-heap.js";
import { BatcherConfigError, InvalidBatchRequestError } from "./errors.js";
import { compileEdfBatcherOptions } from "./options.js";
import type { CompiledEdfBatcherOptions, EdfBatcherOptions } from "./options.js";

/** A request as the batcher holds it. The batcher never reads `payload`. */
export interface QueuedRequest<T> {
  /** The caller's request object (e.g. decoded tensors plus the reply callback). */
  readonly payload: T;
  /** Absolute deadline, ms on the caller's clock (`Infinity` = no deadline). */
  readonly deadlineMs: number;
  /** `nowMs` at `enqueue`. */
  readonly arrivalMs: number;
  /** Enqueue sequence number (0, 1, …): breaks deadline ties in arrival order. */
  readonly seq: number;
}

/**
 * Result of {@link EdfBatcher.enqueue}:
 * - `queued`: waiting for a batch;
 * - `expired`: cannot finish by its deadline even if dispatched alone right now; answer
 *   DEADLINE_EXCEEDED at once (it never reaches the model);
 * - `rejected`: the queue is at `maxQueueSize`; answer RESOURCE_EXHAUSTED.
 */
export type EnqueueOutcome<T> =
  | { readonly status: "queued"; readonly request: QueuedRequest<T> }
  | { readonly status: "expired"; readonly request: QueuedRequest<T> }
  | { readonly status: "rejected"; readonly reason: "queue-full"; readonly request: QueuedRequest<T> };

/** What {@link EdfBatcher.offer} did with a request: {@link EnqueueOutcome}'s `status` alone. */
export type EnqueueStatus = EnqueueOutcome<unknown>["status"];

/**
 * Why a batch was dispatched (the first rule that fired, in this order): `full` (the queue holds
 * `maxBatchSize`), `idle` (the server is free and `maxQueueDelayMs` is 0: work-conserving),
 * `deadline` or `max-delay` (only with an opt-in `maxQueueDelayMs` > 0).
 */
export type DispatchTrigger = "full" | "idle" | "deadline" | "max-delay";

/**
 * What {@link EdfBatcher.poll} needs to know about a server that is still running earlier work:
 * when it is predicted to be free. Omit it when the server is idle.
 */
export interface BusyServer {
  /** Predicted end of the work in flight (caller's clock, ms); may be ≤ `nowMs` if it overran. */
  readonly untilMs: number;
}

/** Result of {@link EdfBatcher.poll}. */
export interface PollResult<T> {
  /** Requests dropped by this poll because they can no longer meet their deadline (answer DEADLINE_EXCEEDED). */
  readonly expired: readonly QueuedRequest<T>[];
  /** Earliest-deadline requests to run now as one batch (EDF order), or `null` to keep waiting. */
  readonly batch: readonly QueuedRequest<T>[] | null;
  /** The rule that dispatched `batch`; `null` when `batch` is `null`. */
  readonly trigger: DispatchTrigger | null;
  /** `latencyModel(batch.length)`, ms; 0 without a batch. */
  readonly predictedLatencyMs: number;
  /**
   * When to poll again if nothing new arrives (caller's clock, ms), for what is still queued;
   * `null` when the queue is empty, or when the server is busy and no full batch is waiting (poll
   * again when it is free). It may be ≤ `nowMs` (e.g. more than one full batch is waiting): poll
   * again as soon as the server is free.
   */
  readonly nextWakeMs: number | null;
}

/**
 * A {@link PollResult} the caller owns and {@link EdfBatcher.pollInto} refills on every call, for a
 * caller that polls millions of times (the simulator): polling then allocates nothing. The first
 * `expiredCount` slots of `expired` and `batchSize` slots of `batch` are this poll's; slots beyond
 * them are stale. Read (or swap out) the arrays before the next `pollInto` with the same buffer.
 */
export class PollBuffer<T> {
  /** Requests dropped by the poll (first `expiredCount`), EDF order. */
  expired: QueuedRequest<T>[] = [];
  expiredCount = 0;
  /** The batch to run now (first `batchSize`), EDF order; `batchSize` 0: keep waiting. */
  batch: QueuedRequest<T>[] = [];
  batchSize = 0;
  /** As {@link PollResult.trigger}. */
  trigger: DispatchTrigger | null = null;
  /** As {@link PollResult.predictedLatencyMs}. */
  predictedLatencyMs = 0;
  /** As {@link PollResult.nextWakeMs}. */
  nextWakeMs: number | null = null;
}

/** Monotonic counters since construction (read them as deltas for per-second metrics). */
export interface BatcherCounters {
  /** Requests accepted into the queue. */
  readonly queued: number;
  /** Requests refused because the queue was full (RESOURCE_EXHAUSTED). */
  readonly rejected: number;
  /** Requests dropped as unable to meet their deadline, at enqueue or later (DEADLINE_EXCEEDED). */
  readonly expired: number;
  /** Requests handed out in batches. */
  readonly dispatched: number;
  /** Batches handed out. */
  readonly batches: number;
  /** Requests handed back by `drainAll`. */
  readonly drained: number;
}

class Entry<T> implements QueuedRequest<T> {
  /** False once popped (dispatched, expired or drained): lets the arrival FIFO skip it lazily. */
  queued = true;
  constructor(
    readonly payload: T,
    readonly deadlineMs: number,
    readonly arrivalMs: number,
    readonly seq: number,
  ) {}
}

const NO_REQUESTS: readonly QueuedRequest<never>[] = Object.freeze([]);

/** Removed entries the arrival FIFO may keep behind a queued one before it is rebuilt. */
const FIFO_SLACK = 32;

/**
 * Earliest-deadline-first dynamic batcher (docs/architecture.md#batching). Pure and deterministic: no timers and no
 * clock; every call takes `nowMs`, which MUST be non-decreasing across calls. The stage calls
 * `poll` on arrival, on batch completion and at `nextWakeMs`, saying whether its inference slot is
 * still busy; the simulator calls the same methods on its virtual clock.
 *
 * Rules, with `l` the latency model, `m` the safety margin, `d` the earliest deadline and `s` the
 * start of the next batch (`now`, or the predicted end of the running work when the server is busy):
 * - a request that cannot finish alone (`s + l(1) + m > d`) is expired: at enqueue (with
 *   `s = now`), or at the head of the queue on `poll`/`expireOverdue`; it never reaches the model;
 * - work conservation (the default, `maxQueueDelayMs` 0): an idle server never waits to fill a
 *   batch. `poll` without `busy` dispatches the up-to-`maxBatchSize` earliest-deadline requests at
 *   once (`full` or `idle`), so a batch holds only what queued while the server was busy;
 * - while the server is busy (`poll` with `busy`), only a full batch is handed out (to run right
 *   after the current one); a partial batch waits for the server to be free, growing meanwhile;
 * - opt-in delay (`maxQueueDelayMs` > 0): an idle server holds a partial batch until waiting any
 *   longer would miss `d` with the batch as it is now (`now + l(n) + m ≥ d`, `deadline`) or the
 *   oldest request has waited `maxQueueDelayMs` (`max-delay`);
 * - a dispatched batch is shrunk to the largest size whose predicted finish `s + l(k) + m` still
 *   meets `d` (every member's deadline is ≥ `d`, so the whole batch then meets its deadlines).
 *
 * Changes made by `reconfigure` (batch size, latency model, …) apply from the next `poll`.
 * Insert and dispatch are O(log n) per request.
 */
export class EdfBatcher<T> {
  private opts: CompiledEdfBatcherOptions;
  private readonly heap = new DeadlineHeap<Entry<T>>();
  /**
   * Entries in arrival order, with already-removed ones skipped lazily from `head`. Slots before
   * `head` are cleared: a removed entry holds its payload (in the stage, the request's tensors and
   * its gRPC call), and keeping hundreds of them alive made every GC of a busy stage mark them.
   */
  private fifo: (Entry<T> | undefined)[] = [];
  private head = 0;
  private seq = 0;
  private nQueued = 0;
  private nRejected = 0;
  private nExpired = 0;
  private nDispatched = 0;
  private nBatches = 0;
  private nDrained = 0;

  constructor(options: EdfBatcherOptions) {
    this.opts = compileEdfBatcherOptions(options);
  }

  /** The options in force (defaults applied). */
  get options(): CompiledEdfBatcherOptions {
    return this.opts;
  }

  /** Requests waiting now. */
  get size(): number {
    return this.heap.size;
  }

  /** Earliest deadline among queued requests, or `null` when empty. */
  get earliestDeadlineMs(): number | null {
    return this.heap.peek()?.deadlineMs ?? null;
  }

  /** Arrival time of the oldest queued request, or `null` when empty. */
  get oldestArrivalMs(): number | null {
    return this.oldest()?.arrivalMs ?? null;
  }

  /** Snapshot of the counters. */
  get counters(): BatcherCounters {
    return {
      queued: this.nQueued,
      rejected: this.nRejected,
      expired: this.nExpired,
      dispatched: this.nDispatched,
      batches: this.nBatches,
      drained: this.nDrained,
    };
  }

  /**
   * Changes options; omitted keys keep their value. Validated as a whole first (throws
   * {@link BatcherConfigError}, leaving the old options in force). Applies from the next `poll`;
   * a batch already handed out is not affected.
   */
  reconfigure(patch: Partial<EdfBatcherOptions>): void {
    this.opts = compileEdfBatcherOptions({ ...this.opts, ...patch });
  }

  /**
   * Offers a request with absolute deadline `deadlineMs` (`Infinity` for none) at `nowMs`.
   * Throws {@link InvalidBatchRequestError} for a NaN deadline or a non-finite `nowMs`.
   */
  enqueue(payload: T, deadlineMs: number, nowMs: number): EnqueueOutcome<T> {
    const status = this.offer(payload, deadlineMs, nowMs);
    if (status === "queued") return { status, request: this.fifo[this.fifo.length - 1] as Entry<T> };
    const request = new Entry(payload, deadlineMs, nowMs, this.seq - 1);
    request.queued = false;
    return status === "expired" ? { status, request } : { status, reason: "queue-full", request };
  }

  /**
   * {@link enqueue} without the outcome object (and without an entry for a request it refuses):
   * the same rules, counters and sequence numbers, for a caller that only needs the status.
   */
  offer(payload: T, deadlineMs: number, nowMs: number): EnqueueStatus {
    if (Number.isNaN(deadlineMs)) throw new InvalidBatchRequestError("deadlineMs", deadlineMs, "a number (Infinity for none)");
    if (!Number.isFinite(nowMs)) throw new InvalidBatchRequestError("nowMs", nowMs, "a finite number");
    const aloneMs = this.latency(1);
    const seq = this.seq++;
    if (nowMs + aloneMs + this.opts.safetyMarginMs > deadlineMs) {
      this.nExpired++;
      return "expired";
    }
    if (this.heap.size >= this.opts.maxQueueSize) {
      this.nRejected++;
      return "rejected";
    }
    const entry = new Entry(payload, deadlineMs, nowMs, seq);
    this.heap.push(entry);
    this.fifo.push(entry);
    this.nQueued++;
    return "queued";
  }

  /**
   * Drops queued requests that cannot finish by their deadline even if started alone at
   * `earliestStartMs` (default `nowMs`; pass the predicted end of the running batch to drop early
   * while the server is busy). Returns them in EDF order; does not form a batch.
   */
  expireOverdue(nowMs: number, earliestStartMs: number = nowMs): readonly QueuedRequest<T>[] {
    const limit = this.expiryLimit(nowMs, earliestStartMs);
    const top = this.heap.peek();
    if (top === undefined || !(top.deadlineMs < limit)) return NO_REQUESTS;
    const out: QueuedRequest<T>[] = [];
    this.expireBelow(limit, out);
    return out;
  }

  /**
   * {@link expireOverdue} into `out` (overwritten from slot 0, grown as needed); returns how many
   * it dropped (slots beyond that are stale). Allocates nothing when `out` is large enough.
   */
  expireInto(nowMs: number, earliestStartMs: number, out: QueuedRequest<T>[]): number {
    return this.expireBelow(this.expiryLimit(nowMs, earliestStartMs), out);
  }

  /**
   * Expires hopeless requests, then dispatches a batch if a rule fires (see the class doc) and
   * says when to poll again. `busy` says the server is still running earlier work: only a full batch
   * is handed out then, and deadlines are judged from `busy.untilMs`.
   */
  poll(nowMs: number, busy?: BusyServer): PollResult<T> {
    const out = new PollBuffer<T>();
    this.pollInto(nowMs, busy === undefined ? undefined : busy.untilMs, out);
    const { expiredCount, batchSize } = out;
    return {
      expired: expiredCount === 0 ? NO_REQUESTS : out.expired,
      batch: batchSize === 0 ? null : out.batch,
      trigger: out.trigger,
      predictedLatencyMs: out.predictedLatencyMs,
      nextWakeMs: out.nextWakeMs,
    };
  }

  /**
   * {@link poll} into a buffer the caller reuses (see {@link PollBuffer}); `busyUntilMs` is
   * `BusyServer.untilMs`, `undefined` when the server is idle. Allocates nothing beyond growing the
   * buffer's arrays to the largest batch.
   */
  pollInto(nowMs: number, busyUntilMs: number | undefined, out: PollBuffer<T>): void {
    const startMs = busyUntilMs === undefined ? nowMs : Math.max(nowMs, busyUntilMs);
    out.expiredCount = this.expireInto(nowMs, startMs, out.expired);
    out.batchSize = 0;
    out.trigger = null;
    out.predictedLatencyMs = 0;
    out.nextWakeMs = null;
    const top = this.heap.peek();
    if (top === undefined) return;
    const { maxBatchSize, maxQueueDelayMs, safetyMarginMs } = this.opts;
    let trigger: DispatchTrigger | null = null;
    if (this.heap.size >= maxBatchSize) trigger = "full";
    else if (busyUntilMs !== undefined) return;
    else if (maxQueueDelayMs === 0) trigger = "idle";
    else if (nowMs >= this.deadlineAtMs()) trigger = "deadline";
    else if (nowMs - (this.oldest() as Entry<T>).arrivalMs >= maxQueueDelayMs) trigger = "max-delay";
    if (trigger === null) {
      out.nextWakeMs = this.nextWake(nowMs);
      return;
    }
    // Shrink until the earliest deadline is met; size 1 always fits after expireInto.
    let k = Math.min(this.heap.size, maxBatchSize);
    let latencyMs = this.latency(k);
    while (k > 1 && startMs + latencyMs + safetyMarginMs > top.deadlineMs) latencyMs = this.latency(--k);
    const batch = out.batch;
    for (let i = 0; i < k; i++) {
      const e = this.heap.pop() as Entry<T>;
      e.queued = false;
      batch[i] = e;
    }
    this.nDispatched += k;
    this.nBatches++;
    this.compactFifo();
    out.batchSize = k;
    out.trigger = trigger;
    out.predictedLatencyMs = latencyMs;
    out.nextWakeMs = this.nextWake(nowMs);
  }

  /** Removes and returns every queued request in EDF order (for shutdown: answer each one). */
  drainAll(): readonly QueuedRequest<T>[] {
    const out: QueuedRequest<T>[] = [];
    for (let e = this.heap.pop(); e !== undefined; e = this.heap.pop()) {
      e.queued = false;
      out.push(e);
    }
    this.fifo = [];
    this.head = 0;
    this.nDrained += out.length;
    return out;
  }

  /** Pops every queued request with a deadline before `limitMs` into `out` from slot 0; returns how many. */
  private expireBelow(limitMs: number, out: QueuedRequest<T>[]): number {
    let n = 0;
    for (let top = this.heap.peek(); top !== undefined && top.deadlineMs < limitMs; top = this.heap.peek()) {
      this.heap.pop();
      top.queued = false;
      out[n++] = top;
    }
    if (n === 0) return 0;
    this.nExpired += n;
    this.compactFifo();
    return n;
  }

  /** A queued request with a deadline before this cannot finish even alone from `max(now, start)`. */
  private expiryLimit(nowMs: number, earliestStartMs: number): number {
    return Math.max(nowMs, earliestStartMs) + this.latency(1) + this.opts.safetyMarginMs;
  }

  /** Latest start of the queued batch as it is now that still meets the earliest deadline (queue non-empty). */
  private deadlineAtMs(): number {
    const top = this.heap.peek() as Entry<T>;
    return top.deadlineMs - this.opts.safetyMarginMs - this.latency(Math.min(this.heap.size, this.opts.maxBatchSize));
  }

  /** When an idle server should poll again for what is queued: at once when a batch is due, else at the first wait rule. */
  private nextWake(nowMs: number): number | null {
    if (this.heap.size === 0) return null;
    if (this.heap.size >= this.opts.maxBatchSize || this.opts.maxQueueDelayMs === 0) return nowMs;
    return Math.min(this.deadlineAtMs(), (this.oldest() as Entry<T>).arrivalMs + this.opts.maxQueueDelayMs);
  }

  private latency(batchSize: number): number {
    const ms = this.opts.latencyModel(batchSize);
    if (!(ms >= 0) || ms === Infinity) {
      throw new BatcherConfigError("latencyModel", ms, `a finite latency ≥ 0 ms for batch size ${batchSize}`);
    }
    return ms;
  }

  private oldest(): Entry<T> | undefined {
    const f = this.fifo;
    while (this.head < f.length && !(f[this.head] as Entry<T>).queued) f[this.head++] = undefined;
    return f[this.head];
  }

  /**
   * Keeps the arrival FIFO O(queue size): removed entries are skipped lazily, and once they
   * dominate (e.g. a long-deadline request stays queued while later ones flow past it) the
   * array is rebuilt from the live entries. Amortised O(1) per request. Removed entries (and their
   * payloads) still reachable through it: at most 2 × queue size + {@link FIFO_SLACK}.
   */
  private compactFifo(): void {
    this.oldest();
    if (this.fifo.length - this.head > 2 * this.heap.size + FIFO_SLACK) {
      this.fifo = this.fifo.slice(this.head).filter((e) => (e as Entry<T>).queued);
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
  }
}
