import { NoActiveSessionError, PoolClosedError, SessionNotReadyError, TensorError } from "./errors.js";
import type { WireTensor, WorkerFault } from "./messages.js";
import { SessionSlot, sessionKey } from "./session-slot.js";
import type { RunResult, SessionInfo, SessionSpec, SlotState } from "./session-slot.js";
import { BufferRecycler } from "./buffer-recycler.js";
import { checkTensor, concatBatch, transferableBytes } from "./tensor.js";
import type { TensorData } from "./tensor.js";
import { WorkerHost } from "./worker-host.js";

/** Options of {@link InferencePool}. */
export interface InferencePoolOptions {
  /**
   * Sessions kept loaded (the active one, prepared ones and recently used ones), each in its
   * own worker. Beyond it the least recently used idle, inactive session is disposed after its
   * last batch. `1` disposes the previous session as soon as its in-flight batches finish.
   * @default 3
   */
  readonly maxCachedSessions?: number;
  /**
   * Workers started ahead of need (onnxruntime already imported) so that `prepare` and crash
   * recovery skip thread start-up (~50–200 ms). Idle spares cost memory, not CPU.
   * @default 1
   */
  readonly spareWorkers?: number;
  /** Batch sizes every new session is warmed at, in addition to those passed to `prepare`. @default [1] */
  readonly warmupBatchSizes?: readonly number[];
  /** Warm-up runs per batch size (the first run of a shape allocates; later ones settle caches). @default 2 */
  readonly warmupRunsPerSize?: number;
  /** How long `close` waits for a worker to exit before terminating it, ms. @default 5000 */
  readonly closeTimeoutMs?: number;
  /**
   * Nice value (0–19) of the inference threads (each session's worker and onnxruntime's intra-op
   * threads), on Linux; the event loop's thread keeps its own. 0 leaves them alone. A positive
   * value makes a running batch yield to every nice-0 thread on its cores: the event loop, but also
   * V8's garbage-collection helpers and anything else scheduled there. Measured on a replica pinned
   * to one core (ResNet-18, 20 req/s), nice 10 lengthened the slowest `session.run` calls (p99
   * 15–21 ms against 11–14 ms at nice 0, same machine, interleaved runs) and gained nothing at
   * saturation (batches were full either way), so the default is 0.
   * @default 0
   */
  readonly inferenceNiceness?: number;
}

/** What `prepare` loads. */
export interface PrepareOptions extends SessionSpec {
  /** Batch sizes to warm (the batch sizes in use or about to be). Merged with the pool's defaults. */
  readonly warmupBatchSizes?: readonly number[];
  /**
   * Warm-up runs per batch size for this call (e.g. 1 when a fast cores change matters more than
   * a settled first batch). @default the pool's `warmupRunsPerSize`
   */
  readonly warmupRunsPerSize?: number;
}

/** One cached session as {@link InferencePool.sessions} lists it. */
export interface SessionStatus {
  readonly key: string;
  readonly spec: SessionSpec;
  readonly state: SlotState;
  readonly active: boolean;
  /** Batches queued or running on it. */
  readonly pending: number;
}

interface CompiledOptions {
  readonly inferenceNiceness: number;
  readonly maxCachedSessions: number;
  readonly spareWorkers: number;
  readonly warmupBatchSizes: readonly number[];
  readonly warmupRunsPerSize: number;
  readonly closeTimeoutMs: number;
}

function compile(o: InferencePoolOptions): CompiledOptions {
  const c = {
    maxCachedSessions: o.maxCachedSessions ?? 3,
    spareWorkers: o.spareWorkers ?? 1,
    warmupBatchSizes: o.warmupBatchSizes ?? [1],
    warmupRunsPerSize: o.warmupRunsPerSize ?? 2,
    closeTimeoutMs: o.closeTimeoutMs ?? 5000,
    inferenceNiceness: o.inferenceNiceness ?? 0,
  };
  const positiveInt = (k: keyof CompiledOptions, min: number): void => {
    const v = c[k];
    if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`InferencePool option ${k}=${String(v)}: expected an integer ≥ ${min}`);
  };
  positiveInt("maxCachedSessions", 1);
  positiveInt("spareWorkers", 0);
  positiveInt("warmupRunsPerSize", 0);
  positiveInt("closeTimeoutMs", 0);
  positiveInt("inferenceNiceness", 0);
  if (c.inferenceNiceness > 19) throw new RangeError(`InferencePool option inferenceNiceness=${c.inferenceNiceness}: expected an integer from 0 to 19`);
  checkBatchSizes("warmupBatchSizes", c.warmupBatchSizes);
  return c;
}

function checkBatchSizes(what: string, sizes: readonly number[]): void {
  for (const b of sizes) if (!Number.isInteger(b) || b < 1) throw new RangeError(`${what}: batch size ${String(b)} is not an integer ≥ 1`);
}

/**
 * onnxruntime inference off the event loop, with live session switching.
 *
 * Model: one pool = one stage replica. Each session (model file × cores) lives in its own
 * worker thread and runs ONE batch at a time with `intraOpNumThreads = cores`, `interOpNumThreads
 * = 1`, spinning off and full graph optimisation: a replica with c cores is one session using
 * c threads. The stage SHOULD keep one batch in flight (dispatch the next when the previous
 * resolves) so batches are formed as late as possible; extra `run` calls queue per session.
 *
 * Reconfiguration: `prepare` loads and warms a session in a separate worker (in-flight batches on
 * the active session keep running, apart from sharing the CPU); `activate` switches
 * synchronously, so every later `run` goes to the new session while batches already submitted
 * finish on the old one; the old session stays cached (LRU, `maxCachedSessions`) for a cheap
 * flip back and is disposed when evicted, after its last batch. Every {@link RunResult} names
 * the session that ran it.
 *
 * Crashes: the batch on a dead worker rejects with `WorkerCrashedError`; the pool reloads that
 * session in a fresh worker and queued batches continue there.
 */
export class InferencePool {
  private readonly opts: CompiledOptions;
  /** Map order is LRU order: `touch` re-inserts at the end. */
  private readonly slots = new Map<string, SessionSlot>();
  private readonly spares: WorkerHost[] = [];
  private readonly disposing = new Set<Promise<void>>();
  private activeSlot: SessionSlot | undefined;
  private closed: Promise<void> | undefined;
  private readonly buffers = new BufferRecycler();

  constructor(options: InferencePoolOptions = {}) {
    this.opts = compile(options);
    this.refillSpares();
  }

  /** Key of the session `run` uses by default, or `null` before the first `activate`. */
  get activeKey(): string | null {
    return this.activeSlot?.key ?? null;
  }

  /** The active session's description (inputs/outputs for validation), or `null`. */
  get active(): SessionInfo | null {
    return this.activeSlot?.state === "ready" || this.activeSlot?.state === "recovering" ? this.activeSlot.description : null;
  }

  /** Batches queued or running over all sessions. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.pending;
    return n;
  }

  /** Cached sessions, least recently used first. */
  sessions(): SessionStatus[] {
    return [...this.slots.values()].map((s) => ({ key: s.key, spec: s.spec, state: s.state, active: s === this.activeSlot, pending: s.pending }));
  }

  /**
   * Loads (or finds in the cache) the session for `spec` and warms it at the pool's and the
   * given batch sizes, without touching the active session. Concurrent calls for the same spec
   * share one load. Rejects with `SessionLoadError` (bad file, invalid model, failed warm-up),
   * `RangeError` (bad spec) or `PoolClosedError`.
   */
  async prepare(options: PrepareOptions): Promise<SessionInfo> {
    this.assertOpen();
    const spec: SessionSpec = { modelPath: options.modelPath, cores: options.cores };
    if (typeof spec.modelPath !== "string" || spec.modelPath === "") throw new RangeError(`prepare: modelPath must be a non-empty string, got ${String(spec.modelPath)}`);
    if (!Number.isInteger(spec.cores) || spec.cores < 1) throw new RangeError(`prepare: cores must be an integer ≥ 1, got ${String(spec.cores)}`);
    const sizes = [...new Set([...this.opts.warmupBatchSizes, ...(options.warmupBatchSizes ?? [])])];
    checkBatchSizes("prepare: warmupBatchSizes", sizes);
    const runsPerSize = options.warmupRunsPerSize ?? this.opts.warmupRunsPerSize;
    if (!Number.isInteger(runsPerSize) || runsPerSize < 0) throw new RangeError(`prepare: warmupRunsPerSize must be an integer ≥ 0, got ${String(runsPerSize)}`);
    const key = sessionKey(spec);
    let slot = this.slots.get(key);
    // A session whose worker could not be restored after a crash is replaced by a fresh load.
    if (slot?.state === "failed") {
      if (this.activeSlot === slot) this.activeSlot = undefined;
      this.slots.delete(key);
      slot = undefined;
    }
    if (slot === undefined) {
      slot = new SessionSlot(spec, () => this.takeHost(), runsPerSize, sizes, (b) => this.buffers.give(b));
      this.slots.set(key, slot);
      try {
        await slot.loaded;
      } catch (err) {
        if (this.slots.get(key) === slot) this.slots.delete(key);
        throw err;
      } finally {
        this.refillSpares();
      }
    } else {
      this.touch(slot);
      await slot.loaded;
      await slot.warm(sizes, runsPerSize);
    }
    this.evict(slot);
    return slot.description;
  }

  /**
   * Makes the prepared session `key` the default for `run`, atomically between batches: batches
   * submitted before keep their session. Returns its description. Throws
   * `SessionNotReadyError` unless `key` was prepared and is loaded, or `PoolClosedError`.
   */
  activate(key: string): SessionInfo {
    this.assertOpen();
    const slot = this.slots.get(key);
    if (slot === undefined) throw new SessionNotReadyError(key, "not prepared (or evicted from the cache)");
    if (slot.state !== "ready" && slot.state !== "recovering") throw new SessionNotReadyError(key, `state ${slot.state}`);
    this.activeSlot = slot;
    this.touch(slot);
    this.evict();
    return slot.description;
  }

  /**
   * Runs one batch on the active session (or on `options.sessionKey`). Inputs are checked
   * (dtype, dims vs byte length) and rejected with `TensorError`.
   *
   * Buffer ownership: an input whose `data` spans its whole ArrayBuffer is transferred to the
   * worker (zero-copy; the caller's buffer is detached afterwards); any other view is copied.
   * Outputs arrive transferred: each owns its buffer.
   *
   * Rejects with `WorkerCrashedError` if the worker dies during the batch, `InferenceRunError`
   * if onnxruntime refuses it, `NoActiveSessionError`, `SessionNotReadyError` or `PoolClosedError`.
   */
  async run(inputs: Readonly<Record<string, TensorData>>, options: { readonly sessionKey?: string } = {}): Promise<RunResult> {
    this.assertOpen();
    const slot = this.slotFor(options.sessionKey);
    const wire: WireTensor[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const name in inputs) {
      const t = inputs[name] as TensorData;
      checkTensor(name, t);
      const buffer = transferableBytes(t.data);
      if (transfer.includes(buffer)) throw new TensorError("shares its ArrayBuffer with another input", { tensor: name });
      wire.push({ name, dtype: t.dtype, dims: t.dims, buffer });
      transfer.push(buffer);
    }
    if (wire.length === 0) throw new TensorError("a batch needs at least one input tensor", {});
    return slot.run(wire, transfer);
  }

  /**
   * Runs one batch made of per-request parts: each input's parts are concatenated along dim 0
   * (same rules as `concatBatch`) into a buffer the pool reuses once the worker hands it back, so a
   * steady stream of batches allocates nothing. The parts are copied, never detached. Same
   * errors as {@link run}.
   */
  async runBatch(parts: Readonly<Record<string, readonly TensorData[]>>, options: { readonly sessionKey?: string } = {}): Promise<RunResult> {
    this.assertOpen();
    const slot = this.slotFor(options.sessionKey);
    const wire: WireTensor[] = [];
    const transfer: ArrayBuffer[] = [];
    const take = (bytes: number): ArrayBuffer => this.buffers.take(bytes);
    for (const name in parts) {
      const t = concatBatch(name, parts[name] as readonly TensorData[], take);
      wire.push({ name, dtype: t.dtype, dims: t.dims, buffer: t.data.buffer as ArrayBuffer });
      transfer.push(t.data.buffer as ArrayBuffer);
    }
    if (wire.length === 0) throw new TensorError("a batch needs at least one input tensor", {});
    return slot.run(wire, transfer);
  }

  /** How often batch buffers were reused vs allocated (see {@link runBatch}). */
  get bufferCounts(): { readonly reused: number; readonly allocated: number } {
    return { ...this.buffers.counts };
  }

  private slotFor(sessionKey: string | undefined): SessionSlot {
    if (sessionKey === undefined) {
      if (this.activeSlot === undefined) throw new NoActiveSessionError();
      return this.activeSlot;
    }
    const slot = this.slots.get(sessionKey);
    if (slot === undefined) throw new SessionNotReadyError(sessionKey, "not prepared (or evicted from the cache)");
    return slot;
  }

  /** Warms `key` at more batch sizes (e.g. before raising the batch size); queued behind its batches. */
  async warm(key: string, batchSizes: readonly number[]): Promise<void> {
    this.assertOpen();
    checkBatchSizes("warm", batchSizes);
    const slot = this.slots.get(key);
    if (slot === undefined) throw new SessionNotReadyError(key, "not prepared (or evicted from the cache)");
    await slot.warm(batchSizes);
  }

  /**
   * Chaos hook: the worker of `key` dies on its next batch, by `process.exit` in the worker
   * (`exit-on-next-run`, as a native abort would) or by an uncaught error (`throw-on-next-run`).
   */
  async injectFault(key: string, fault: WorkerFault): Promise<void> {
    this.assertOpen();
    const slot = this.slots.get(key);
    if (slot === undefined) throw new SessionNotReadyError(key, "not prepared (or evicted from the cache)");
    await slot.injectFault(fault);
  }

  /**
   * Stops accepting work, lets every submitted batch finish, then ends all workers. Idempotent:
   * every call returns the same promise.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const slots = [...this.slots.values()];
      this.slots.clear();
      this.activeSlot = undefined;
      const spares = this.spares.splice(0);
      await Promise.all([
        ...slots.map((s) => s.dispose()),
        ...spares.map(async (h) => {
          await h.ready.catch(() => undefined);
          await h.close(this.opts.closeTimeoutMs);
        }),
        ...this.disposing,
      ]);
    })();
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed !== undefined) throw new PoolClosedError();
  }

  private touch(slot: SessionSlot): void {
    this.slots.delete(slot.key);
    this.slots.set(slot.key, slot);
  }

  /**
   * Disposes least-recently-used sessions beyond the cache size; never the active one, one still
   * loading, or `keep` (the one just prepared and about to be activated).
   */
  private evict(keep?: SessionSlot): void {
    for (const slot of this.slots.values()) {
      if (this.slots.size <= this.opts.maxCachedSessions) return;
      if (slot === this.activeSlot || slot === keep || slot.state === "loading" || slot.state === "recovering") continue;
      this.slots.delete(slot.key);
      const p = slot.dispose().finally(() => this.disposing.delete(p));
      this.disposing.add(p);
    }
  }

  private async takeHost(): Promise<WorkerHost> {
    this.assertOpen();
    let host: WorkerHost | undefined;
    while ((host = this.spares.shift()) !== undefined && !host.alive);
    // Refilled by `prepare` once the load is over, not now: a worker start-up would compete
    // with the load for the CPU.
    host ??= new WorkerHost(this.opts.inferenceNiceness);
    await host.ready;
    return host;
  }

  private refillSpares(): void {
    if (this.closed !== undefined) return;
    while (this.spares.length < this.opts.spareWorkers) {
      const host = new WorkerHost(this.opts.inferenceNiceness);
      host.onCrash = () => {
        const i = this.spares.indexOf(host);
        if (i >= 0) this.spares.splice(i, 1);
      };
      this.spares.push(host);
    }
  }
}
