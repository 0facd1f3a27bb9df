/**
 * The request path: admission against deadlines, the EDF queue, batches of up to `batchSize`
 * processed one at a time on this thread, and every outcome counted in the metrics window. Each
 * accepted request is answered exactly once.
 */
import { deadlineUnmeetable, queueFull, unavailable } from "./errors.js";
import { preprocessBatch } from "./preprocess.js";
import { CostModel, DeadlineQueue, type Entry } from "./queue.js";
import { Window } from "./window.js";

/** A validated request: `n` images of `h × w × channels` bytes. */
export interface Job {
  readonly requestId: string;
  readonly pixels: Uint8Array;
  readonly n: number;
  readonly h: number;
  readonly w: number;
  /** Absolute deadline, Unix ms. */
  readonly deadlineMs: number;
}

/** A finished request. */
export interface JobResult {
  /** `[n, 1, size, size]` FP32. */
  readonly output: Float32Array;
  readonly queueMs: number;
  readonly stageLatencyMs: number;
  readonly batchSize: number;
}

interface Pending {
  readonly job: Job;
  readonly resolve: (r: JobResult) => void;
  readonly reject: (e: Error) => void;
}

export interface ServerOptions {
  readonly channels: 1 | 3;
  readonly outputSize: number;
  readonly batchSize: number;
  readonly maxQueueSize: number;
  /** Unix ms clock. */
  readonly now: () => number;
}

export class Server {
  readonly window: Window;
  private readonly queue: DeadlineQueue<Pending>;
  private readonly cost = new CostModel({ msPerByte: 1e-5, fixedMs: 0.05 });
  private busyUntilMs = 0;
  private running = false;
  private accepting = true;
  private idle: Array<() => void> = [];
  batchSize: number;

  constructor(private readonly o: ServerOptions) {
    this.window = new Window(o.now());
    this.queue = new DeadlineQueue(o.maxQueueSize);
    this.batchSize = o.batchSize;
  }

  get queueLength(): number {
    return this.queue.size;
  }

  /**
   * Times a few batches of a `side × side` image so the first deadline decisions rest on a
   * measurement of this machine, not a guess.
   */
  probe(side: number): void {
    const bytes = side * side * this.o.channels;
    const pixels = new Uint8Array(bytes);
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      preprocessBatch(pixels, 1, side, side, this.o.channels, this.o.outputSize);
      this.cost.observe(bytes, performance.now() - t);
    }
  }

  submit(job: Job): Promise<JobResult> {
    const now = this.o.now();
    this.window.arrival();
    if (!this.accepting) return Promise.reject(unavailable("stage is draining"));
    return new Promise((resolve, reject) => {
      const e: Entry<Pending> = { item: { job, resolve, reject }, deadlineMs: job.deadlineMs, costMs: this.cost.predict(job.pixels.byteLength), arrivalMs: now };
      const admission = this.queue.offer(e, now, this.running ? this.busyUntilMs : now);
      if (admission === "full") {
        this.window.rejection();
        reject(queueFull(this.o.maxQueueSize));
        return;
      }
      if (admission === "unmeetable") {
        this.dropEarly(e, now);
        return;
      }
      this.schedule();
    });
  }

  /** Refuses new requests (UNAVAILABLE); queued ones are still served. */
  stopIntake(): void {
    this.accepting = false;
  }

  /** Serves the queue for up to `graceMs`, then answers the rest UNAVAILABLE. */
  async close(graceMs: number): Promise<void> {
    this.accepting = false;
    if (this.queue.size > 0 || this.running) {
      await Promise.race([new Promise<void>((r) => this.idle.push(r)), new Promise<void>((r) => setTimeout(r, graceMs))]);
    }
    for (const e of this.queue.drain()) e.item.reject(unavailable("stage drained before this request was served"));
  }

  private dropEarly(e: Entry<Pending>, now: number): void {
    this.window.earlyDrop();
    e.item.reject(deadlineUnmeetable(e.item.job.requestId, e.deadlineMs, Math.max(now, this.busyUntilMs) + e.costMs));
  }

  /** Runs the next batch on a later turn of the event loop, so gRPC keeps reading requests between batches. */
  private schedule(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => this.runBatch());
  }

  private runBatch(): void {
    const start = this.o.now();
    const { batch, expired } = this.queue.take(this.batchSize, start);
    for (const e of expired) this.dropEarly(e, start);
    if (batch.length > 0) {
      this.busyUntilMs = start + batch.reduce((s, e) => s + e.costMs, 0);
      this.window.batch(batch.length);
      for (const e of batch) {
        const { job } = e.item;
        const t = performance.now();
        try {
          const output = preprocessBatch(job.pixels, job.n, job.h, job.w, this.o.channels, this.o.outputSize);
          this.cost.observe(job.pixels.byteLength, performance.now() - t);
          const done = this.o.now();
          this.window.completion(done - e.arrivalMs, done > e.deadlineMs);
          e.item.resolve({ output, queueMs: start - e.arrivalMs, stageLatencyMs: done - e.arrivalMs, batchSize: batch.length });
        } catch (err) {
          this.window.failure();
          e.item.reject(err as Error);
        }
      }
    }
    this.running = false;
    if (this.queue.size > 0) this.schedule();
    else {
      const waiters = this.idle.splice(0);
      for (const w of waiters) w();
    }
  }
}
