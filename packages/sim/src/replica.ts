import { EdfBatcher, PollBuffer, type QueuedRequest } from "@fulcrum/core/batching";
import type { Rng } from "@fulcrum/core/rng";
import type { EventQueue, EventTarget } from "./event-queue.js";
import type { SimRequest } from "./request.js";
import { sampleServiceMs, type ServiceTable, type ServiceTimeModel } from "./service-time.js";

/** Lifecycle of a simulated replica (the registry's `starting` / `ready` / `draining` / `stopped`). */
export const STARTING = 0;
export const READY = 1;
export const DRAINING = 2;
export const STOPPED = 3;
export type ReplicaState = typeof STARTING | typeof READY | typeof DRAINING | typeof STOPPED;

/** What {@link Replica.offer} did with a request. */
export const QUEUED = 0;
export const EXPIRED = 1;
export const REJECTED = 2;

const DONE = 0;
const WAKE = 1;
const UP = 2;
const SWITCH = 3;
/** See {@link Replica.pump}: how far a wake at or before now is pushed, ms. */
const WAKE_NUDGE_MS = 1e-6;

/** What a replica tells the engine (the data plane around it). */
export interface ReplicaHooks {
  /** `req` finished on `replica` at `nowMs` (its batch completed). */
  served(req: SimRequest, replica: Replica, nowMs: number): void;
  /** `replica` dropped `req` at `nowMs`: it could not meet its deadline (DEADLINE_EXCEEDED). */
  dropped(req: SimRequest, replica: Replica, nowMs: number): void;
  /** `replica` changed state or the variant it serves (the router re-reads it). */
  changed(replica: Replica, nowMs: number): void;
  /** The cores charged for `replica` changed by `delta` at `nowMs`. */
  coresCharged(delta: number, nowMs: number): void;
}

/** Batcher settings every replica of a run shares (the stage service's config). */
export interface ReplicaSettings {
  /** Triton `max_queue_delay`: partial batches wait at most this long, ms. */
  readonly maxQueueDelayMs: number;
  /** Queue bound per replica (RESOURCE_EXHAUSTED beyond it). */
  readonly maxQueueSize: number;
  /** Slack added to every predicted finish time, ms. */
  readonly safetyMarginMs: number;
  /** Largest batch any assignment may ask for (sizes service tables). */
  readonly maxBatch: number;
}

/**
 * One simulated stage replica: the core EDF batcher (`@fulcrum/core/batching`, the one the live
 * stage runs) in front of one model session, one batch at a time, with service times drawn from
 * the run's {@link ServiceTimeModel}. Like the live stage it polls the batcher whenever the
 * session is free (on arrival, on batch completion, at the batcher's `nextWakeMs`), drops at once
 * what cannot make its deadline even after the batch running now, and applies batch-size changes
 * at the next batch and variant/cores changes in place after a switch delay.
 *
 * The batcher predicts with the median service time of the running configuration (the live
 * stage's estimator learns the typical batch time online); actual times are drawn per batch.
 */
export class Replica implements EventTarget {
  state: ReplicaState;
  variant: number;
  cores: number;
  batch: number;
  /** Its name in the registry (what the router and the reconciler call it). @default `r<id>` */
  instance: string;
  /** Variant and cores of an in-place switch under way (−1: none). */
  switchVariant = -1;
  switchCores = -1;
  /** Cores charged now (max of old and new during a switch). */
  charged = 0;
  private readonly batcher: EdfBatcher<SimRequest>;
  private table: ServiceTable;
  private busy = false;
  private busyUntilMs = 0;
  /**
   * The batcher's answers, reused on every poll (the data plane polls millions of times). `poll`
   * fills `polled`; a dispatched batch is swapped into `running` (its first `runningSize` slots)
   * so the next poll cannot overwrite it while it runs; `dropped` takes early drops while busy.
   */
  private readonly polled = new PollBuffer<SimRequest>();
  private running: QueuedRequest<SimRequest>[] = [];
  private runningSize = 0;
  private readonly late: QueuedRequest<SimRequest>[] = [];
  private wakeAtMs = Infinity;
  private wakeGen = 0;
  private switchGen = 0;
  private upGen = 0;
  /** A switch came due while a batch ran: it applies between batches, when that batch is done. */
  private switchDue = false;

  constructor(
    /** Unique within the run, in creation order. */
    readonly id: number,
    /** Index of its stage. */
    readonly stage: number,
    /** Variant names of the stage, by index. */
    private readonly variantNames: readonly string[],
    variant: number,
    cores: number,
    batch: number,
    state: ReplicaState,
    private readonly model: ServiceTimeModel,
    private readonly settings: ReplicaSettings,
    private readonly queue: EventQueue,
    private readonly hooks: ReplicaHooks,
    private readonly rng: Rng,
  ) {
    this.instance = `r${id}`;
    this.variant = variant;
    this.cores = cores;
    this.batch = batch;
    this.state = state;
    this.table = model.table(variantNames[variant]!, cores, settings.maxBatch);
    const medians = (): Float64Array => this.table.medianMs;
    this.batcher = new EdfBatcher<SimRequest>({
      maxBatchSize: batch,
      latencyModel: (b) => medians()[b] as number,
      maxQueueDelayMs: settings.maxQueueDelayMs,
      maxQueueSize: settings.maxQueueSize,
      safetyMarginMs: settings.safetyMarginMs,
    });
  }

  /** Name of the variant it serves now. */
  get variantName(): string {
    return this.variantNames[this.variant]!;
  }

  /** Requests waiting in the batcher. */
  get queued(): number {
    return this.batcher.size;
  }

  /** Becomes READY at `atMs` (a cold start under way). */
  startUntil(atMs: number): void {
    this.queue.push(atMs, this, UP, ++this.upGen);
  }

  /**
   * Offers a routed request at `nowMs`: QUEUED, EXPIRED (dropped at once, reported through
   * `hooks.dropped`) or REJECTED (queue full; the caller answers it).
   */
  offer(req: SimRequest, nowMs: number): number {
    const status = this.batcher.offer(req, req.deadlineMs, nowMs);
    if (status === "expired") {
      this.hooks.dropped(req, this, nowMs);
      return EXPIRED;
    }
    if (status === "rejected") return REJECTED;
    if (this.busy) {
      // While a batch runs, drop at once what cannot make it even after that batch (as the stage does).
      const late = this.late;
      const n = this.batcher.expireInto(nowMs, this.busyUntilMs, late);
      for (let i = 0; i < n; i++) this.hooks.dropped(late[i]!.payload, this, nowMs);
    } else this.pump(nowMs);
    return QUEUED;
  }

  /** Sets the batch size now (applies at the next batch, as the stage's `setBatchSize`). */
  setBatch(batch: number, nowMs: number): void {
    if (batch === this.batch) return;
    this.batch = batch;
    this.batcher.reconfigure({ maxBatchSize: batch });
    this.pump(nowMs);
  }

  /**
   * Starts an in-place switch to (`variant`, `cores`) that takes effect at `atMs`; the replica
   * keeps serving its current configuration until then and is charged the larger core count
   * meanwhile. A later switch supersedes one under way.
   */
  switchTo(variant: number, cores: number, atMs: number, nowMs: number): void {
    this.switchDue = false;
    if (variant === this.variant && cores === this.cores) {
      this.switchVariant = this.switchCores = -1;
      this.switchGen++;
      this.charge(cores, nowMs);
      return;
    }
    this.switchVariant = variant;
    this.switchCores = cores;
    this.charge(Math.max(this.cores, cores), nowMs);
    this.queue.push(atMs, this, SWITCH, ++this.switchGen);
  }

  /**
   * Stops taking new requests; serves what is queued, then stops (a starting replica stops at
   * once). The engine's router no longer picks a draining replica.
   */
  drain(nowMs: number): void {
    if (this.state === STOPPED || this.state === DRAINING) return;
    if (this.state === STARTING) {
      this.upGen++;
      this.stop(nowMs);
      return;
    }
    this.state = DRAINING;
    this.switchGen++;
    this.switchDue = false;
    this.switchVariant = this.switchCores = -1;
    this.charge(this.cores, nowMs);
    this.hooks.changed(this, nowMs);
    if (!this.busy && this.batcher.size === 0) this.stop(nowMs);
  }

  /** Charges `cores` from `nowMs` (initially and on every resize). */
  charge(cores: number, nowMs: number): void {
    if (cores === this.charged) return;
    this.hooks.coresCharged(cores - this.charged, nowMs);
    this.charged = cores;
  }

  onEvent(kind: number, arg: number, nowMs: number): void {
    if (kind === DONE) {
      const batch = this.running;
      const n = this.runningSize;
      this.runningSize = 0;
      this.busy = false;
      for (let i = 0; i < n; i++) this.hooks.served(batch[i]!.payload, this, nowMs);
      if (this.switchDue) this.applySwitch(nowMs);
      this.pump(nowMs);
    } else if (kind === WAKE) {
      if (arg !== this.wakeGen) return;
      this.wakeAtMs = Infinity;
      this.pump(nowMs);
    } else if (kind === UP) {
      if (arg !== this.upGen || this.state !== STARTING) return;
      this.state = READY;
      this.hooks.changed(this, nowMs);
    } else if (kind === SWITCH) {
      if (arg !== this.switchGen || this.switchVariant < 0) return;
      if (this.busy) this.switchDue = true;
      else {
        this.applySwitch(nowMs);
        this.pump(nowMs);
      }
    }
  }

  private applySwitch(nowMs: number): void {
    this.switchDue = false;
    if (this.switchVariant < 0) return;
    const variantChanged = this.switchVariant !== this.variant;
    this.variant = this.switchVariant;
    this.cores = this.switchCores;
    this.switchVariant = this.switchCores = -1;
    this.table = this.model.table(this.variantNames[this.variant]!, this.cores, this.settings.maxBatch);
    this.charge(this.cores, nowMs);
    if (variantChanged) this.hooks.changed(this, nowMs);
  }

  /** Forms and starts a batch if the session is free and a batching rule fires; else arms a wake. */
  private pump(nowMs: number): void {
    if (this.busy || this.state === STARTING || this.state === STOPPED) return;
    const r = this.polled;
    this.batcher.pollInto(nowMs, undefined, r);
    for (let i = 0; i < r.expiredCount; i++) this.hooks.dropped(r.expired[i]!.payload, this, nowMs);
    if (r.batchSize > 0) {
      // Swap buffers: the batch stays in `running` until done while later polls refill `polled`.
      const free = this.running;
      this.running = r.batch;
      this.runningSize = r.batchSize;
      r.batch = free;
      this.busy = true;
      this.busyUntilMs = nowMs + sampleServiceMs(this.table, this.runningSize, this.rng);
      this.queue.push(this.busyUntilMs, this, DONE);
    } else if (r.nextWakeMs !== null) {
      // The batcher may name a wake time ≤ now when float rounding keeps a rule from firing at its
      // exact instant (arrival + max delay); the live stage's timer then fires a moment later, so
      // the simulated one does too (1 ns), or the virtual clock would never move on.
      const at = r.nextWakeMs > nowMs ? r.nextWakeMs : nowMs + WAKE_NUDGE_MS;
      if (at < this.wakeAtMs) {
        this.wakeAtMs = at;
        this.queue.push(at, this, WAKE, ++this.wakeGen);
      }
    } else if (this.state === DRAINING) this.stop(nowMs);
  }

  private stop(nowMs: number): void {
    this.state = STOPPED;
    this.charge(0, nowMs);
    this.hooks.changed(this, nowMs);
  }
}
