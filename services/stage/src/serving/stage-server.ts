import { context, trace, type Context, type Span } from "@opentelemetry/api";
import { EdfBatcher, LatencyEstimator, type QueuedRequest } from "@fulcrum/core/batching";
import { requestDeadline } from "@fulcrum/core/deadline";
import { StageWindowStats, type StageWindow } from "@fulcrum/core/metrics";
import { concatBatch, splitBatch, type InferencePool, type SessionInfo, type TensorData } from "@fulcrum/inference";
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

/** Options of {@link StageServer}. */
export interface StageServerOptions {
  readonly pool: InferencePool;
  readonly clock: Clock;
  /** Deadline of requests without `deadline_unix_ms`/`slo_ms`, ms after arrival. */
  readonly defaultSloMs: number;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly safetyMarginMs: number;
  /**
   * Batches handed to the session at once. With 2, a full batch waits inside the worker while the
   * previous one runs, so the cores never idle between batches at saturation; only full batches
   * are pipelined (a partial batch keeps waiting for more requests until the session is free).
   * @default 2
   */
  readonly pipelineDepth?: number;
}

interface Pending {
  readonly req: StageRequest;
  readonly arrivalMs: number;
  readonly deadlineMs: number;
  readonly parent: Context;
  readonly resolve: (r: StageResponse) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One stage replica's request path: EDF batching in front of the inference pool, one batch in
 * flight at a time (a replica with c cores is one session with c threads), and live
 * reconfiguration between batches. Every accepted request is answered exactly once: a result,
 * DEADLINE_EXCEEDED (dropped early), RESOURCE_EXHAUSTED (queue full), INTERNAL (model failed) or
 * UNAVAILABLE (shutting down).
 */
export class StageServer {
  private readonly batcher: EdfBatcher<Pending>;
  private readonly estimators = new Map<string, LatencyEstimator>();
  private readonly variantOfSession = new Map<string, string>();
  private activeConfig: ActiveConfig | undefined;
  /** Predicted end of the last batch handed to the session, while any is in flight. */
  private busyUntilMs: number | undefined;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: StageWindowStats;
  /** Recent configuration changes, oldest first (bounded), for audits and tests. */
  readonly activations: Array<ActiveConfig & { readonly atMs: number }> = [];
  /** Lifetime totals (for Prometheus). */
  readonly totals = { arrivals: 0, completions: 0, late: 0, earlyDrops: 0, rejected: 0, failures: 0, unavailable: 0, batches: 0, inferenceMs: 0 };

  constructor(private readonly options: StageServerOptions) {
    this.stats = new StageWindowStats(options.clock());
    this.batcher = new EdfBatcher<Pending>({
      maxBatchSize: 1,
      latencyModel: (b) => this.estimator().predict(b),
      maxQueueDelayMs: options.maxQueueDelayMs,
      maxQueueSize: options.maxQueueSize,
      safetyMarginMs: options.safetyMarginMs,
    });
  }

  /** The configuration serving now, or undefined before the first {@link activate}. */
  get active(): ActiveConfig | undefined {
    return this.activeConfig;
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
    const est = this.estimators.get(session.key) ?? new LatencyEstimator();
    for (const p of probes) est.observe(p.batchSize, p.ms);
    this.estimators.set(session.key, est);
    this.variantOfSession.set(session.key, variant);
    this.options.pool.activate(session.key);
    this.activeConfig = { variant, cores: session.cores, batchSize, sessionKey: session.key };
    this.batcher.reconfigure({ maxBatchSize: batchSize });
    this.recordActivation();
    this.pump();
  }

  /** Changes only the batch size (applies at the next batch). */
  setBatchSize(batchSize: number): void {
    if (!this.activeConfig) return;
    this.activeConfig = { ...this.activeConfig, batchSize };
    this.batcher.reconfigure({ maxBatchSize: batchSize });
    this.recordActivation();
    this.pump();
  }

  /** Queues a validated request; resolves with its response or rejects with a typed error. */
  submit(req: StageRequest): Promise<StageResponse> {
    const now = this.options.clock();
    this.totals.arrivals++;
    this.stats.arrival();
    if (this.closing || !this.activeConfig) {
      this.totals.unavailable++;
      return Promise.reject(new StageUnavailableError(this.closing ? "stage is shutting down" : "stage has no model loaded yet"));
    }
    const deadlineMs = requestDeadline(now, req, this.options.defaultSloMs);
    return new Promise<StageResponse>((resolve, reject) => {
      const pending: Pending = { req, arrivalMs: now, deadlineMs, parent: context.active(), resolve, reject };
      const outcome = this.batcher.enqueue(pending, deadlineMs, now);
      if (outcome.status === "expired") {
        this.dropEarly(pending, now);
        return;
      }
      if (outcome.status === "rejected") {
        this.totals.rejected++;
        this.stats.rejection();
        reject(new QueueFullError(this.batcher.options.maxQueueSize));
        return;
      }
      // While a batch runs, drop at once what cannot make it even after that batch.
      if (this.busyUntilMs !== undefined) {
        for (const e of this.batcher.expireOverdue(now, this.busyUntilMs)) this.dropEarly(e.payload, now);
      }
      this.pump();
    });
  }

  /** Current window's counters; starts a new window. */
  takeWindow(): StageWindow {
    return this.stats.take(this.options.clock());
  }

  /**
   * Stops intake, serves what is queued for up to `graceMs`, answers the rest UNAVAILABLE, and
   * waits for the batch in flight. Idempotent.
   */
  /** Stops accepting requests (they get UNAVAILABLE); queued ones are still served. Idempotent. */
  stopIntake(): void {
    this.closing = true;
  }

  async close(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.batcher.size > 0 || this.inFlight > 0) {
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
    }
    for (const e of this.batcher.drainAll()) {
      this.totals.unavailable++;
      e.payload.reject(new StageUnavailableError("stage shut down before this request was served"));
    }
    if (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.timer) clearTimeout(this.timer);
  }

  private recordActivation(): void {
    this.activations.push({ ...this.activeConfig!, atMs: this.options.clock() });
    if (this.activations.length > 256) this.activations.shift();
  }

  private estimator(): LatencyEstimator {
    const key = this.activeConfig?.sessionKey;
    let est = key ? this.estimators.get(key) : undefined;
    if (!est) {
      est = new LatencyEstimator();
      if (key) this.estimators.set(key, est);
    }
    return est;
  }

  private dropEarly(p: Pending, now: number): void {
    this.totals.earlyDrops++;
    this.stats.earlyDrop();
    p.reject(new DeadlineUnmeetableError(p.req.requestId, p.deadlineMs, Math.max(now, this.busyUntilMs ?? now) + this.estimator().predict(1)));
  }

  /** Forms and dispatches a batch if the server is free and a rule fires; else arms the timer. */
  private pump(): void {
    if (!this.activeConfig) return;
    const now = this.options.clock();
    if (this.inFlight > 0) {
      // Pipelining: hand over the next batch only when it is already full; it starts when the
      // running one ends, so deadlines are judged from that predicted start.
      if (this.inFlight >= (this.options.pipelineDepth ?? 2) || this.batcher.size < this.activeConfig.batchSize) return;
      const startMs = Math.max(now, this.busyUntilMs ?? now);
      const r = this.batcher.poll(startMs);
      for (const e of r.expired) this.dropEarly(e.payload, now);
      if (r.batch) void this.dispatch(r.batch, "full", r.predictedLatencyMs, now, startMs);
      return;
    }
    const r = this.batcher.poll(now);
    for (const e of r.expired) this.dropEarly(e.payload, now);
    if (r.batch) {
      void this.dispatch(r.batch, r.trigger ?? "full", r.predictedLatencyMs, now, now);
      return;
    }
    if (r.nextWakeMs !== null) this.arm(r.nextWakeMs, now);
    else this.notifyIdle();
  }

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
    if (this.batcher.size === 0 && this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async dispatch(batch: readonly QueuedRequest<Pending>[], trigger: string, predictedMs: number, now: number, startMs: number): Promise<void> {
    const size = batch.length;
    this.inFlight++;
    this.busyUntilMs = startMs + predictedMs;
    this.totals.batches++;
    this.stats.batch(size);
    const cfg = this.activeConfig!;
    const spans: Span[] = batch.map((e) => {
      const q = tracer.startSpan("stage.queue", { startTime: e.payload.arrivalMs, attributes: { "fulcrum.request_id": e.payload.req.requestId } }, e.payload.parent);
      q.end(now);
      return tracer.startSpan(
        "stage.inference",
        { startTime: now, attributes: { "fulcrum.request_id": e.payload.req.requestId, "fulcrum.batch.size": size, "fulcrum.batch.trigger": trigger, "fulcrum.cores": cfg.cores } },
        e.payload.parent,
      );
    });
    try {
      const names = Object.keys(batch[0]!.payload.req.inputs);
      const inputs: Record<string, TensorData> = {};
      for (const name of names) inputs[name] = concatBatch(name, batch.map((e) => e.payload.req.inputs[name]!));
      const result = await this.options.pool.run(inputs);
      const done = this.options.clock();
      const variant = this.variantOfSession.get(result.sessionKey) ?? cfg.variant;
      // Time behind the previous batch is not this batch's latency.
      this.estimators.get(result.sessionKey)?.observe(size, result.totalMs - result.waitMs);
      this.totals.inferenceMs += result.runMs;
      const rows = batch.map((e) => e.payload.req.rows);
      const split: Record<string, TensorData[]> = {};
      for (const [name, t] of Object.entries(result.outputs)) split[name] = splitBatch(name, t, rows);
      batch.forEach((e, i) => {
        const p = e.payload;
        const outputs: Record<string, TensorData> = {};
        for (const name of Object.keys(split)) outputs[name] = split[name]![i]!;
        const latencyMs = done - p.arrivalMs;
        const late = done > p.deadlineMs;
        this.totals.completions++;
        if (late) this.totals.late++;
        this.stats.completion(latencyMs, late);
        spans[i]!.setAttribute("fulcrum.variant", variant);
        spans[i]!.setAttribute("fulcrum.session.run_ms", result.runMs);
        spans[i]!.setAttribute("fulcrum.late", late);
        spans[i]!.end(done);
        p.resolve({ id: p.req.id, outputs, variant, queueMs: now - p.arrivalMs, stageLatencyMs: latencyMs, batchSize: size });
      });
    } catch (err) {
      for (const [i, e] of batch.entries()) {
        this.totals.failures++;
        this.stats.failure();
        spans[i]!.recordException(err as Error);
        spans[i]!.end();
        e.payload.reject(new InferenceFailedError(e.payload.req.requestId, err));
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.busyUntilMs = undefined;
      this.pump();
      this.notifyIdle();
    }
  }
}
