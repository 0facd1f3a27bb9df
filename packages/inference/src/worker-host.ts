import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { WorkerCrashedError } from "./errors.js";
import type { FromWorker, ToWorker } from "./messages.js";

/** A request without its correlation id (the host assigns it). */
export type WorkerRequest = ToWorker extends infer M ? (M extends ToWorker ? Omit<M, "id"> : never) : never;

interface Outstanding {
  resolve(msg: FromWorker): void;
  reject(err: Error): void;
}

/**
 * Spawns the worker script. From compiled JS the sibling `inference-worker.js` is run directly.
 * From TypeScript sources (tests, `node --import tsx`), Node 20 does not apply the parent's
 * loader hooks to workers, so a tiny eval'd bootstrap registers tsx in the worker first.
 */
function spawnWorker(niceness: number): Worker {
  const options = { workerData: { niceness } };
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./inference-worker.js", import.meta.url), options);
  const target = new URL("./inference-worker.ts", import.meta.url).href;
  // tsx's CJS build of this entry resolves its ESM loader wrongly; load the .mjs twin.
  const tsxApi = createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs");
  const code = `import(${JSON.stringify(pathToFileURL(tsxApi).href)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(code, { eval: true, ...options });
}

/**
 * Main-thread handle of one inference worker: request/response over the worker's port with
 * correlation ids and transfer lists, plus crash detection. When the worker dies without being
 * asked to (`exit` ≠ requested close), every outstanding request rejects with
 * `WorkerCrashedError` and `onCrash` fires once. The worker is unref'd while idle so a forgotten
 * pool does not keep the process alive.
 */
export class WorkerHost {
  /** Resolves when the worker has imported onnxruntime and can take requests. */
  readonly ready: Promise<void>;
  /** Session key this worker serves, used in crash errors (`(spare)` until assigned). */
  label = "(spare)";
  /** Called once if the worker dies unexpectedly. */
  onCrash: ((err: WorkerCrashedError) => void) | undefined;

  private readonly worker: Worker;
  private readonly outstanding = new Map<number, Outstanding>();
  private nextId = 1;
  private closing = false;
  private exited = false;
  private lastError: Error | undefined;

  /** @param niceness added to the worker thread's nice value (see `InferencePoolOptions.inferenceNiceness`). */
  constructor(niceness = 0) {
    this.worker = spawnWorker(niceness);
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromWorker): void => {
        if (msg.kind !== "ready") return;
        this.worker.off("message", onMessage);
        resolve();
      };
      this.worker.on("message", onMessage);
      this.worker.once("exit", (code) => reject(this.crashError(code)));
    });
    // The ready promise may be abandoned (e.g. a spare never used): never an unhandled rejection.
    this.ready.catch(() => undefined);
    this.worker.on("message", (msg: FromWorker) => {
      if (msg.kind === "ready") return;
      const o = this.outstanding.get(msg.id);
      if (o === undefined) return;
      this.outstanding.delete(msg.id);
      if (this.outstanding.size === 0) this.worker.unref();
      o.resolve(msg);
    });
    this.worker.on("error", (err) => {
      this.lastError = err;
    });
    this.worker.on("exit", (code) => {
      this.exited = true;
      const err = this.crashError(code);
      for (const o of this.outstanding.values()) o.reject(err);
      this.outstanding.clear();
      if (!this.closing) this.onCrash?.(err);
    });
  }

  /** Whether the worker thread is still running. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Sends `req` (transferring `transfer`) and resolves with the worker's answer. */
  request(req: WorkerRequest, transfer: readonly ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.exited) return Promise.reject(this.crashError(null));
    const id = this.nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.outstanding.set(id, { resolve, reject });
      if (this.outstanding.size === 1) this.worker.ref();
      try {
        this.worker.postMessage({ ...req, id } as ToWorker, transfer as ArrayBuffer[]);
      } catch (err) {
        // e.g. DataCloneError for an already-detached buffer: nothing reached the worker.
        this.outstanding.delete(id);
        if (this.outstanding.size === 0) this.worker.unref();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Releases the session and ends the worker; terminates it if it has not exited within
   * `timeoutMs`. Idempotent. Outstanding requests reject.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.request({ kind: "close" }).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    if ((await Promise.race([exited, timeout])) === "timeout") await this.worker.terminate();
    clearTimeout(timer);
  }

  private crashError(code: number | null): WorkerCrashedError {
    const detail = this.lastError ? `error: ${this.lastError.message}` : code === null ? "worker gone" : `exit code ${code}`;
    return new WorkerCrashedError({ sessionKey: this.label, exitCode: code, detail }, { cause: this.lastError });
  }
}
