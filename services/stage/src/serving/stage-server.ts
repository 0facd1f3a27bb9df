import { context, trace, type Context, type Span } from "@opentelemetry/api";
import { EdfBatcher, LatencyEstimator, type QueuedRequest } from "@fulcrum/core/batching";
import { requestDeadline } from "@fulcrum/core/deadline";
import { StageWindowStats, type StageWindow } from "@fulcrum/core/metrics";
import { splitBatch, type InferencePool, type RunResult, type SessionInfo, type TensorData } from "@fulcrum/inference";
import type { StageRequest, StageResponse } from "../transport/codec.js";
import { DeadlineUnmeetableError, InferenceFailedError, QueueFullError, StageUnavailableError } from "../errors.js";

const tracer = trace.getTracer("@fulcrum/stage");

/** A clock returning Unix time in ms with sub-ms precision. */
export type Clock = () => number;

/** What the stage is serving right now. */
export interface ActiveConfig {
  readonly variant: string;
  readonly cores: number;
  readonly batchSize: number;
  readonly sessionKey: string;
}

/** One configuration change, as {@link StageServer.activations} records it. */
export interface Activation extends ActiveConfig {
  /** When the configuration took effect (clock ms). */
  readonly atMs: number;
  /** When the first batch dispatched under it finished (clock ms); undefined until then. */
  readonly firstBatchDoneMs: number | undefined;
}

/**
 * Called exactly once per submitted request: with its response, or with a typed error
 * (DeadlineUnmeetableError, QueueFullError, InferenceFailedError, StageUnavailableError).
 */
export type Reply = (err: Error | null, res?: StageResponse) => void;

/** Options of {@link StageServer}. */
export interface StageServerOptions {
  readonly pool: InferencePool;
  readonly clock: Clock;
  /** Deadline of requests without `deadline_unix_ms`/`slo_ms`, ms after arrival. */
  readonly defaultSloMs: number;
  /**
   * How long an idle replica may hold a partial batch for more requests, ms. 0 (work-conserving):
   * an idle replica dispatches what is queued at once; see `EdfBatcherOptions.maxQueueDelayMs`.
   */
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly safetyMarginMs: number;
  /**
   * Batches handed to the session at once. With 2, a full batch waits inside the worker while the
   * previous one runs, so the cores never idle between batches at saturation; only full batches
   * are pipelined (a partial batch keeps growing until the session is free).
   * @default 2
   */
  readonly pipelineDepth?: number;
}

interface Pending {
  readonly req: StageRequest;
  readonly arrivalMs: number;
  readonly deadlineMs: number;
  readonly parent: Context;
  readonly reply: Reply;
}

interface MutableActivation extends ActiveConfig {
  readonly atMs: number;
  firstBatchDoneMs: number | undefined;
}

/** One batch handed to the pool. */
interface InFlightBatch {
  readonly batch: readonly QueuedRequest<Pending>[];
  readonly dispatchMs: number;
  readonly config: MutableActivation;
  readonly spans: Array<Span | undefined> | undefined;
}

/**
 * Early drops in a row, with no batch in flight and none measured for {@link STALE_ESTIMATE_MS},
 * after which the stage forgets its latency estimate so that the next request runs and is measured
 * (an estimate nothing checks must not refuse for ever).
 */
export const IDLE_DROPS_BEFORE_PROBE = 3;
/**
 * Age of the last measured batch beyond which the estimate counts as unchecked, ms. Under load
 * batches finish all the time, so hopeless requests there never reset a checked estimate.
 */
export const STALE_ESTIMATE_MS = 1000;

/**
 * One stage replica's request path: EDF batching in front of the inference pool, one batch running
 * at a time (a replica with c cores is one session with c threads) with the next full one queued
 * behind it, and live reconfiguration between batches. Work-conserving: an idle session never waits
 * for a batch to fill. Every accepted request is answered exactly once: a result,
 * DEADLINE_EXCEEDED (dropped early), RESOURCE_EXHAUSTED (queue full), INTERNAL (model failed) or
 * UNAVAILABLE (shutting down).
 *
 * The per-request path does no allocation it can avoid: no promise per request (replies are
 * callbacks), no timer unless an opt-in queue delay is set, spans only when tracing records them,
 * inputs copied once into a batch buffer the pool reuses, outputs handed out as views of the
 * batch's result.
 */
export class StageServer {
  private readonly batcher: EdfBatcher<Pending>;
  private readonly estimators = new Map<string, LatencyEstimator>();
  private readonly variantOfSession = new Map<string, string>();
  private estimate: LatencyEstimator = new LatencyEstimator();
  private current: MutableActivation | undefined;
  /** Predicted end of the last batch handed to the session, while any is in flight. */
  private readonly busy = { untilMs: 0 };
  private inFlight = 0;
  /** Early drops in a row with no batch in flight; see {@link IDLE_DROPS_BEFORE_PROBE}. */
  private idleDrops = 0;
  /** When the estimate in force was last checked against a batch (or seeded by probes), clock ms. */
  private measuredAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  private readonly pipelineDepth: number;
  readonly stats: StageWindowStats;
  /** Recent configuration changes, oldest first (bounded), for audits, tests and benchmarks. */
  readonly activations: Activation[] = [];
  /** Lifetime totals (for Prometheus). */
  readonly totals = { arrivals: 0, completions: 0, late: 0, earlyDrops: 0, rejected: 0, failures: 0, unavailable: 0, batches: 0, inferenceMs: 0, estimateResets: 0 };

  constructor(private readonly options: StageServerOptions) {
    this.stats = new StageWindowStats(options.clock());
    this.pipelineDepth = options.pipelineDepth ?? 2;
    this.batcher = new EdfBatcher<Pending>({
      maxBatchSize: 1,
      latencyModel: (b) => this.estimate.predict(b),
      maxQueueDelayMs: options.maxQueueDelayMs,
      maxQueueSize: options.maxQueueSize,
      safetyMarginMs: options.safetyMarginMs,
    });
  }

  /** The configuration serving now, or undefined before the first {@link activate}. */
  get active(): ActiveConfig | undefined {
    return this.current;
  }

  /** Whether new requests are refused (after {@link stopIntake} or {@link close}). */
  get intakeStopped(): boolean {
    return this.closing;
  }

  /** Requests waiting in the queue. */
  get queueLength(): number {
    return this.batcher.size;
  }

  /**
   * Makes a prepared session the active one (between batches) and sets the batch size. Probe
   * timings measured by the caller seed the session's latency estimate.
   */
  activate(session: SessionInfo, variant: string, batchSize: number, probes: ReadonlyArray<{ batchSize: number; ms: number }> = []): void {
    let est = this.estimators.get(session.key);
    if (est === undefined) this.estimators.set(session.key, (est = new LatencyEstimator()));
    for (const p of probes) est.observe(p.batchSize, p.ms);
    this.estimate = est;
    this.idleDrops = 0;
    this.measuredAtMs = this.options.clock();
    this.variantOfSession.set(session.key, variant);
    this.options.pool.activate(session.key);
    this.batcher.reconfigure({ maxBatchSize: batchSize });
    this.record({ variant, cores: session.cores, batchSize, sessionKey: session.key });
    this.pump();
  }

  /** Changes only the batch size (applies at the next batch). */
  setBatchSize(batchSize: number): void {
    if (!this.current) return;
    this.batcher.reconfigure({ maxBatchSize: batchSize });
    this.record({ ...this.current, batchSize });
    this.pump();
  }

  /** Queues a validated request; `reply` is called exactly once with its response or a typed error. */
  submit(req: StageRequest, reply: Reply): void {
    const now = this.options.clock();
    this.totals.arrivals++;
    this.stats.arrival();
    if (this.closing || !this.current) {
      this.totals.unavailable++;
      reply(new StageUnavailableError(this.closing ? "stage is shutting down" : "stage has no model loaded yet"));
      return;
    }
    const deadlineMs = requestDeadline(now, req, this.options.defaultSloMs);
    const pending: Pending = { req, arrivalMs: now, deadlineMs, parent: context.active(), reply };
    const outcome = this.batcher.enqueue(pending, deadlineMs, now);
    if (outcome.status === "expired") return this.dropEarly(pending, now);
    if (outcome.status === "rejected") {
      this.totals.rejected++;
      this.stats.rejection();
      reply(new QueueFullError(this.batcher.options.maxQueueSize));
      return;
    }
    this.pump(now);
  }

  /** Current window's counters; starts a new window. */
  takeWindow(): StageWindow {
    return this.stats.take(this.options.clock());
  }

  /** Stops accepting requests (they get UNAVAILABLE); queued ones are still served. Idempotent. */
  stopIntake(): void {
    this.closing = true;
  }

  /**
   * Stops intake, serves what is queued for up to `graceMs`, answers the rest UNAVAILABLE, and
   * waits for the batches in flight. Idempotent.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.batcher.size > 0 || this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
    }
    for (const e of this.batcher.drainAll()) {
      this.totals.unavailable++;
      e.payload.reply(new StageUnavailableError("stage shut down before this request was served"));
    }
    if (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.timer) clearTimeout(this.timer);
  }

  private record(c: ActiveConfig): void {
    this.current = { ...c, atMs: this.options.clock(), firstBatchDoneMs: undefined };
    this.activations.push(this.current);
    if (this.activations.length > 256) this.activations.shift();
  }

  private dropEarly(p: Pending, now: number): void {
    this.totals.earlyDrops++;
    this.stats.earlyDrop();
    const startMs = this.inFlight > 0 ? Math.max(now, this.busy.untilMs) : now;
    p.reply(new DeadlineUnmeetableError(p.req.requestId, p.deadlineMs, startMs + this.estimate.predict(1), this.options.safetyMarginMs));
    // An idle stage that refuses everything on its latency estimate measures nothing, so a
    // pessimistic estimate (a warm-up slowed by a busy machine) would refuse every request for
    // ever. After a few idle refusals with no batch measured for a while, it forgets the estimate:
    // the next request runs and is measured.
    if (this.inFlight > 0) return;
    if (++this.idleDrops >= IDLE_DROPS_BEFORE_PROBE && now - this.measuredAtMs >= STALE_ESTIMATE_MS) {
      this.idleDrops = 0;
      this.totals.estimateResets++;
      this.estimate.forget();
    }
  }

  /**
   * Dispatches what the batcher hands out: at once when the session is idle (work conservation),
   * and full batches to queue behind the running one while fewer than `pipelineDepth` are in flight.
   */
  private pump(now: number = this.options.clock()): void {
    if (!this.current) return;
    while (this.inFlight < this.pipelineDepth) {
      const r = this.batcher.poll(now, this.inFlight > 0 ? this.busy : undefined);
      for (const e of r.expired) this.dropEarly(e.payload, now);
      if (r.batch === null) {
        if (this.inFlight === 0) {
          if (r.nextWakeMs !== null) this.arm(r.nextWakeMs, now);
          else this.notifyIdle();
        }
        return;
      }
      this.dispatch(r.batch, r.trigger ?? "full", r.predictedLatencyMs, now);
    }
    // Pipeline full: still drop at once what cannot make it even after the batches in flight.
    for (const e of this.batcher.expireOverdue(now, this.busy.untilMs)) this.dropEarly(e.payload, now);
  }

  /** Only with an opt-in queue delay: polls again when the batcher's wait rule fires. */
  private arm(atMs: number, now: number): void {
    if (this.timer && atMs >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      this.pump();
    }, Math.max(0, atMs - now));
  }

  private notifyIdle(): void {
    if (this.batcher.size === 0 && this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private dispatch(batch: readonly QueuedRequest<Pending>[], trigger: string, predictedMs: number, now: number): void {
    const startMs = this.inFlight > 0 ? Math.max(now, this.busy.untilMs) : now;
    this.inFlight++;
    this.busy.untilMs = startMs + predictedMs;
    this.totals.batches++;
    this.stats.batch(batch.length);
    const config = this.current!;
    const flight: InFlightBatch = { batch, dispatchMs: now, config, spans: this.startSpans(batch, trigger, config.cores, now) };
    const first = batch[0]!.payload.req.inputs;
    const parts: Record<string, TensorData[]> = {};
    for (const name in first) {
      const list = new Array<TensorData>(batch.length);
      for (let i = 0; i < batch.length; i++) list[i] = batch[i]!.payload.req.inputs[name]!;
      parts[name] = list;
    }
    this.options.pool.runBatch(parts).then(
      (result) => this.complete(flight, result),
      (err: unknown) => this.fail(flight, err),
    );
  }

  private complete(flight: InFlightBatch, result: RunResult): void {
    const { batch, dispatchMs, config, spans } = flight;
    const done = this.options.clock();
    const size = batch.length;
    const variant = this.variantOfSession.get(result.sessionKey) ?? config.variant;
    // Time behind the previous batch is not this batch's latency.
    this.estimators.get(result.sessionKey)?.observe(size, result.totalMs - result.waitMs);
    this.idleDrops = 0;
    this.measuredAtMs = done;
    this.totals.inferenceMs += result.runMs;
    config.firstBatchDoneMs ??= done;
    // Outputs are split into per-request views of the batch result (no copy).
    const names = Object.keys(result.outputs);
    const split: TensorData[][] = new Array<TensorData[]>(names.length);
    try {
      const rows = batch.map((e) => e.payload.req.rows);
      for (let k = 0; k < names.length; k++) split[k] = splitBatch(names[k]!, result.outputs[names[k]!]!, rows);
    } catch (err) {
      this.fail(flight, err);
      return;
    }
    // Hand the session its next batch before answering this one: encoding and sending the replies
    // then overlap with inference instead of delaying it.
    this.inFlight--;
    this.pump(done);
    for (let i = 0; i < size; i++) {
      const p = batch[i]!.payload;
      const outputs: Record<string, TensorData> = {};
      for (let k = 0; k < names.length; k++) outputs[names[k]!] = split[k]![i]!;
      const latencyMs = done - p.arrivalMs;
      const late = done > p.deadlineMs;
      this.totals.completions++;
      if (late) this.totals.late++;
      this.stats.completion(latencyMs, late);
      const span = spans?.[i];
      if (span) {
        span.setAttribute("fulcrum.variant", variant);
        span.setAttribute("fulcrum.session.run_ms", result.runMs);
        span.setAttribute("fulcrum.late", late);
        span.end(done);
      }
      p.reply(null, { id: p.req.id, outputs, variant, queueMs: dispatchMs - p.arrivalMs, stageLatencyMs: latencyMs, batchSize: size, sessionRunMs: result.runMs });
    }
    this.notifyIdle();
  }

  private fail(flight: InFlightBatch, err: unknown): void {
    flight.batch.forEach((e, i) => {
      this.totals.failures++;
      this.stats.failure();
      const span = flight.spans?.[i];
      if (span) {
        span.recordException(err as Error);
        span.end();
      }
      e.payload.reply(new InferenceFailedError(e.payload.req.requestId, err));
    });
    this.inFlight--;
    this.pump();
    this.notifyIdle();
  }

  /**
   * `stage.queue` (arrival → dispatch, ended now) and `stage.inference` (dispatch → result) per
   * request, children of the caller's span; none for a request whose span the tracer does not
   * record (tracing off or not sampled), so an untraced request pays for no span objects beyond
   * the tracer's no-op one.
   */
  private startSpans(batch: readonly QueuedRequest<Pending>[], trigger: string, cores: number, now: number): Array<Span | undefined> | undefined {
    let spans: Array<Span | undefined> | undefined;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!.payload;
      const q = tracer.startSpan("stage.queue", { startTime: p.arrivalMs, attributes: { "fulcrum.request_id": p.req.requestId } }, p.parent);
      if (!q.isRecording()) continue;
      q.end(now);
      (spans ??= new Array<Span | undefined>(batch.length))[i] = tracer.startSpan(
        "stage.inference",
        { startTime: now, attributes: { "fulcrum.request_id": p.req.requestId, "fulcrum.batch.size": batch.length, "fulcrum.batch.trigger": trigger, "fulcrum.cores": cores } },
        p.parent,
      );
    }
    return spans;
  }
}
