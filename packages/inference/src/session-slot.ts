import { InferenceRunError, PoolClosedError, SessionLoadError, SessionNotReadyError, WorkerCrashedError } from "./errors.js";
import type { FromWorker, TensorSpec, WireTensor, WorkerFault } from "./messages.js";
import type { TensorData } from "./tensor.js";
import type { WorkerHost } from "./worker-host.js";

/** What a session runs: a model file with a number of intra-op threads (= the replica's cores). */
export interface SessionSpec {
  /** Path of the `.onnx` file. */
  readonly modelPath: string;
  /** Cores of the replica = onnxruntime `intraOpNumThreads` (integer ≥ 1). */
  readonly cores: number;
}

/** Cache key of a session: one per (model file, cores). */
export function sessionKey(spec: SessionSpec): string {
  return `${spec.modelPath}#${spec.cores}c`;
}

/** A loaded, warmed session as the pool reports it. */
export interface SessionInfo extends SessionSpec {
  /** {@link sessionKey} of the spec: what `activate` takes and `RunResult.sessionKey` reports. */
  readonly key: string;
  /** Model inputs as onnxruntime declares them (validate requests against these). */
  readonly inputs: readonly TensorSpec[];
  /** Model outputs as onnxruntime declares them. */
  readonly outputs: readonly TensorSpec[];
  /** Session creation time in the worker, ms. */
  readonly loadMs: number;
  /** Total warm-up time so far, ms. */
  readonly warmupMs: number;
  /** Batch sizes warmed so far. */
  readonly warmedBatchSizes: readonly number[];
}

/** The outcome of one batch. */
export interface RunResult {
  /** Key of the session that actually ran the batch. */
  readonly sessionKey: string;
  /** Outputs by name; each `data` owns its whole (transferred) ArrayBuffer. */
  readonly outputs: Record<string, TensorData>;
  /** `session.run` time inside the worker, ms. */
  readonly runMs: number;
  /** Time the batch waited behind earlier work on this session (or for a crashed worker's replacement), ms. */
  readonly waitMs: number;
  /** Submit-to-result time on the caller's thread, ms (includes transfers and messaging). */
  readonly totalMs: number;
}

type Job =
  | { kind: "run"; inputs: WireTensor[]; transfer: ArrayBuffer[]; submittedMs: number; resolve(r: RunResult): void; reject(e: Error): void }
  | { kind: "warm"; batchSizes: number[]; runsPerSize: number; resolve(r: undefined): void; reject(e: Error): void }
  | { kind: "fault"; fault: WorkerFault; resolve(r: undefined): void; reject(e: Error): void };

/** Slot lifecycle: `loading` → `ready` ⇄ `recovering` (worker replaced after a crash) → `disposed`; or `failed`. */
export type SlotState = "loading" | "ready" | "recovering" | "failed" | "disposed";

/**
 * One session in its own worker, running one job at a time in submission order; up to
 * {@link MAX_RUNS_IN_WORKER} batches are handed to the worker ahead so it never idles between them.
 * A session never shares its worker, so loading or warming one session never stalls batches on
 * another. After a crash the batches in the worker fail with `WorkerCrashedError` (their inputs
 * were transferred, so they cannot be replayed); the slot takes a fresh worker, reloads and
 * re-warms the same session, and then runs the jobs that were still waiting in the pool.
 */
/**
 * Batches a session's worker holds at once: the running one and the next, so the worker starts the
 * next batch the moment the previous ends instead of waiting for the main thread to send it.
 */
export const MAX_RUNS_IN_WORKER = 2;

export class SessionSlot {
  readonly key: string;
  state: SlotState = "loading";
  /** Resolves once loaded and warmed the first time (rejects with `SessionLoadError`). */
  readonly loaded: Promise<SessionInfo>;

  private host: WorkerHost | undefined;
  private info: SessionInfo | undefined;
  private readonly queue: Job[] = [];
  /** A warm-up or fault job holds the worker alone. */
  private running = false;
  /** Batches posted to the worker and not answered yet (at most {@link MAX_RUNS_IN_WORKER}). */
  private runsInWorker = 0;
  private failure: Error | undefined;
  private drainWaiters: (() => void)[] = [];
  private warmed = new Set<number>();
  private warmupMs = 0;
  private snapshot: SessionInfo | undefined;

  constructor(
    readonly spec: SessionSpec,
    private readonly acquireHost: () => Promise<WorkerHost>,
    private readonly warmupRunsPerSize: number,
    warmupBatchSizes: readonly number[],
    /** Receives each batch's input buffers back from the worker, for reuse. */
    private readonly returnBuffers: (buffers: readonly ArrayBuffer[]) => void = () => {},
  ) {
    this.key = sessionKey(spec);
    this.loaded = this.start(warmupBatchSizes);
    this.loaded.catch(() => undefined);
  }

  /** Queued plus running jobs. */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0) + this.runsInWorker;
  }

  /** The loaded session's description (throws before it is loaded). Cached: cheap per request. */
  get description(): SessionInfo {
    if (this.info === undefined) throw new SessionNotReadyError(this.key, `state ${this.state}`);
    this.snapshot ??= Object.freeze({ ...this.info, warmupMs: this.warmupMs, warmedBatchSizes: [...this.warmed].sort((a, b) => a - b) });
    return this.snapshot;
  }

  run(inputs: WireTensor[], transfer: ArrayBuffer[]): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      this.submit({ kind: "run", inputs, transfer, submittedMs: performance.now(), resolve, reject });
    });
  }

  /** Warms the batch sizes not warmed yet (queued behind earlier jobs on this session). */
  warm(batchSizes: readonly number[], runsPerSize = this.warmupRunsPerSize): Promise<void> {
    const missing = batchSizes.filter((b) => !this.warmed.has(b));
    if (missing.length === 0) return Promise.resolve();
    return new Promise<undefined>((resolve, reject) => this.submit({ kind: "warm", batchSizes: missing, runsPerSize, resolve, reject })).then(() => undefined);
  }

  injectFault(fault: WorkerFault): Promise<void> {
    return new Promise<undefined>((resolve, reject) => this.submit({ kind: "fault", fault, resolve, reject })).then(() => undefined);
  }

  /** Waits for every submitted job to settle, then ends the worker. Idempotent. */
  async dispose(): Promise<void> {
    if (this.state === "disposed") return;
    await this.loaded.catch(() => undefined);
    if (this.pending > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.state = "disposed";
    await this.host?.close();
  }

  private submit(job: Job): void {
    if (this.state === "disposed") return job.reject(new PoolClosedError());
    if (this.state === "failed") return job.reject(new SessionNotReadyError(this.key, "its worker could not be restored", { cause: this.failure }));
    this.queue.push(job);
    this.pump();
  }

  private async start(warmupBatchSizes: readonly number[]): Promise<SessionInfo> {
    try {
      await this.attachHost();
      await this.warmSizes(warmupBatchSizes);
      this.state = "ready";
      this.pump();
      return this.description;
    } catch (err) {
      this.fail(err);
      throw this.failure;
    }
  }

  private async attachHost(): Promise<void> {
    const host = await this.acquireHost();
    host.label = this.key;
    host.onCrash = () => this.recover();
    this.host = host;
    const msg = await host.request({ kind: "load", modelPath: this.spec.modelPath, intraOpThreads: this.spec.cores });
    if (msg.kind !== "loaded") throw new Error(failureText(msg));
    this.info = { ...this.spec, key: this.key, inputs: msg.inputs, outputs: msg.outputs, loadMs: msg.loadMs, warmupMs: 0, warmedBatchSizes: [] };
    this.snapshot = undefined;
  }

  private async warmSizes(batchSizes: readonly number[], runsPerSize = this.warmupRunsPerSize): Promise<void> {
    if (batchSizes.length === 0 || runsPerSize === 0) return;
    const msg = await (this.host as WorkerHost).request({ kind: "warm", batchSizes, runsPerSize });
    if (msg.kind !== "warmed") throw new Error(failureText(msg));
    for (const b of batchSizes) this.warmed.add(b);
    this.warmupMs += msg.warmMs;
    this.snapshot = undefined;
  }

  private recover(): void {
    // A crash while loading or recovering is handled by that path's own error.
    if (this.state !== "ready") return;
    this.state = "recovering";
    void (async () => {
      try {
        await this.attachHost();
        await this.warmSizes([...this.warmed]);
        this.state = "ready";
        this.pump();
      } catch (err) {
        this.fail(err);
      }
    })();
  }

  private fail(err: unknown): void {
    this.state = "failed";
    this.failure = new SessionLoadError(err instanceof Error ? err.message : String(err), { sessionKey: this.key, modelPath: this.spec.modelPath }, { cause: err });
    void this.host?.close();
    for (const job of this.queue.splice(0)) job.reject(new SessionNotReadyError(this.key, "its worker could not be restored", { cause: this.failure }));
    this.settleDrain();
  }

  private pump(): void {
    while (!this.running && this.state === "ready") {
      const job = this.queue[0];
      if (job === undefined) return this.settleDrain();
      if (job.kind === "run") {
        if (this.runsInWorker >= MAX_RUNS_IN_WORKER) return;
        this.queue.shift();
        this.runsInWorker++;
        void this.execute(job).finally(() => {
          this.runsInWorker--;
          this.pump();
        });
        continue;
      }
      // Warm-ups and faults wait until no batch is in the worker, and run alone.
      if (this.runsInWorker > 0) return;
      this.queue.shift();
      this.running = true;
      void this.execute(job).finally(() => {
        this.running = false;
        this.pump();
      });
    }
  }

  private async execute(job: Job): Promise<void> {
    const host = this.host as WorkerHost;
    try {
      if (job.kind === "warm") {
        await this.warmSizes(job.batchSizes, job.runsPerSize);
        return job.resolve(undefined);
      }
      if (job.kind === "fault") {
        const msg = await host.request({ kind: "fault", fault: job.fault });
        if (msg.kind !== "ok") throw new Error(failureText(msg));
        return job.resolve(undefined);
      }
      const startedMs = performance.now();
      const msg = await host.request({ kind: "run", inputs: job.inputs }, job.transfer);
      if (msg.kind !== "result") return job.reject(new InferenceRunError(failureText(msg), { sessionKey: this.key }));
      this.returnBuffers(msg.inputs);
      const outputs: Record<string, TensorData> = {};
      for (const o of msg.outputs) outputs[o.name] = { dtype: o.dtype, dims: o.dims, data: new Uint8Array(o.buffer) };
      const endMs = performance.now();
      // Waiting = in the pool's queue + behind the previous batch inside the worker.
      job.resolve({ sessionKey: this.key, outputs, runMs: msg.runMs, waitMs: startedMs - job.submittedMs + msg.queuedMs, totalMs: endMs - job.submittedMs });
    } catch (err) {
      job.reject(err instanceof WorkerCrashedError ? err : new InferenceRunError(String(err), { sessionKey: this.key }, { cause: err }));
    }
  }

  private settleDrain(): void {
    if (this.pending > 0) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

function failureText(msg: FromWorker): string {
  return msg.kind === "failed" ? msg.message : `unexpected worker reply ${msg.kind}`;
}
