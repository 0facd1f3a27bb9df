import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { LinearModel, SolveOptions, SolveResult, Solver } from "@fulcrum/core/policies";
import { SolverClosedError, SolverStartError } from "./errors.js";
import { toHighsModel } from "./to-highs-model.js";
import { WORKER_SOURCE } from "./worker-source.js";

/** Options of {@link createHighsSolver}. */
export interface HighsSolverOptions {
  /**
   * Extra wall time after a solve's `timeLimitMs` before the worker is presumed stuck, terminated and
   * replaced; the solve then returns `time-limit`. HiGHS checks its own limit only between steps.
   * @default 2000
   */
  readonly watchdogGraceMs?: number;
  /**
   * Relative and absolute MIP gap. Policies compare objectives with brute force at 1e-6, so the
   * default proves optimality (branch and bound closes the tree) instead of stopping at HiGHS' 1e-4.
   * @default 1e-9
   */
  readonly mipGap?: number;
  /**
   * How far from an integer an integer variable may be and still count as integral. HiGHS' 1e-6
   * lets a binary sit at 1e-6, enough for the fulcrum and IPA models (bounds of hundreds of ms, and
   * tie-breaker costs of 1e-6 per batch unit) to return a solution the exact in-process search beats
   * by more than the 1e-6 the policies are checked at. @default 1e-9
   */
  readonly mipFeasibilityTolerance?: number;
}

/** The HiGHS adapter of core's {@link Solver} port. `close()` terminates the worker thread. */
export interface HighsSolver extends Solver {
  close(): Promise<void>;
}

interface Job {
  readonly id: number;
  readonly payload: { id: number; model: unknown; timeLimitS: number; mipGap: number; mipFeasibilityTolerance: number };
  readonly timeLimitMs: number;
  readonly startedAt: number;
  readonly resolve: (r: SolveResult) => void;
  readonly reject: (e: Error) => void;
}

interface WorkerReply {
  readonly id?: number;
  readonly ready?: boolean;
  readonly startError?: string;
  readonly status?: SolveResult["status"];
  readonly objective?: number;
  readonly values?: number[];
  readonly solveMs?: number;
  readonly message?: string;
}

/**
 * Starts a HiGHS (WASM) solver that runs in a `worker_thread`, so a solve never blocks the caller's
 * event loop (HiGHS' `run()` is synchronous). Solves are queued and run one at a time. The worker
 * starts lazily on the first solve (≈70 ms WASM compile) and is unref'd while idle, so an unclosed
 * solver does not keep the process alive.
 */
export function createHighsSolver(options: HighsSolverOptions = {}): HighsSolver {
  const graceMs = options.watchdogGraceMs ?? 2000;
  const mipGap = options.mipGap ?? 1e-9;
  const mipFeasibilityTolerance = options.mipFeasibilityTolerance ?? 1e-9;
  const highsPath = createRequire(import.meta.url).resolve("highs");
  const queue: Job[] = [];
  let worker: Worker | undefined;
  let ready: Promise<void> | undefined;
  let running: Job | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let nextId = 1;
  let closed = false;

  const finish = (job: Job, result: SolveResult): void => {
    if (watchdog) clearTimeout(watchdog);
    watchdog = undefined;
    running = undefined;
    job.resolve(result);
    pump();
  };

  const discardWorker = (): void => {
    const w = worker;
    worker = undefined;
    ready = undefined;
    if (w) void w.terminate();
  };

  const start = (): Promise<void> => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { highsPath } });
    worker = w;
    ready = new Promise<void>((resolve, reject) => {
      w.on("message", (reply: WorkerReply) => {
        if (reply.ready) return resolve();
        if (reply.startError !== undefined) return reject(new SolverStartError(`HiGHS failed to load: ${reply.startError}`));
        const job = running;
        if (!job || reply.id !== job.id) return;
        const result: SolveResult = {
          status: reply.status ?? "error",
          solveMs: reply.solveMs ?? performance.now() - job.startedAt,
          ...(reply.objective !== undefined ? { objective: reply.objective } : {}),
          ...(reply.values !== undefined ? { values: reply.values } : {}),
          ...(reply.message !== undefined ? { message: reply.message } : {}),
        };
        finish(job, result);
      });
      w.on("error", (err) => {
        reject(new SolverStartError("HiGHS worker crashed", { cause: err }));
        const job = running;
        discardWorker();
        if (job) finish(job, { status: "error", solveMs: performance.now() - job.startedAt, message: `worker error: ${err.message}` });
      });
    });
    return ready;
  };

  const pump = (): void => {
    if (running || closed) return;
    const job = queue.shift();
    if (!job) {
      worker?.unref();
      return;
    }
    running = job;
    const boot = ready ?? start();
    worker?.ref();
    boot.then(
      () => {
        if (running !== job || !worker) return;
        watchdog = setTimeout(() => {
          // HiGHS ignored its own limit: a stuck WASM loop can only be stopped by terminating the thread.
          discardWorker();
          finish(job, { status: "time-limit", solveMs: performance.now() - job.startedAt, message: "watchdog terminated the HiGHS worker" });
        }, job.timeLimitMs + graceMs);
        worker.postMessage(job.payload);
      },
      (err: Error) => {
        discardWorker();
        running = undefined;
        job.reject(err);
        pump();
      },
    );
  };

  return {
    solve(model: LinearModel, solveOptions: SolveOptions): Promise<SolveResult> {
      if (closed) return Promise.reject(new SolverClosedError());
      if (!(solveOptions.timeLimitMs > 0)) return Promise.reject(new RangeError(`timeLimitMs must be > 0, got ${solveOptions.timeLimitMs}`));
      let data;
      try {
        data = toHighsModel(model);
      } catch (err) {
        return Promise.resolve({ status: "error", solveMs: 0, message: (err as Error).message });
      }
      return new Promise<SolveResult>((resolve, reject) => {
        const id = nextId++;
        queue.push({
          id,
          payload: { id, model: data, timeLimitS: solveOptions.timeLimitMs / 1000, mipGap, mipFeasibilityTolerance },
          timeLimitMs: solveOptions.timeLimitMs,
          startedAt: performance.now(),
          resolve,
          reject,
        });
        pump();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (watchdog) clearTimeout(watchdog);
      const pending = [...(running ? [running] : []), ...queue.splice(0)];
      running = undefined;
      for (const job of pending) job.reject(new SolverClosedError());
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
