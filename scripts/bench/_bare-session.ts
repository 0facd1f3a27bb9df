/**
 * Helper (not a benchmark entry: the `_` prefix hides it from `npm run bench`): the throughput of
 * bare `session.run` in a worker thread, with the same session options as the stage's inference
 * pool, for a model / batch / threads. The stage benchmark divides its own throughput by this.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** What to measure. */
export interface BareSessionOptions {
  /** Path of the `.onnx` model. */
  readonly modelPath: string;
  /** Rows per run (the model's first free dimension). */
  readonly batchSize: number;
  /** onnxruntime `intraOpNumThreads` (= the stage's cores). */
  readonly threads: number;
  /** Untimed runs before measuring. @default 5 */
  readonly warmupRuns?: number;
  /** Length of each timed repetition, s. @default 3 */
  readonly durationS?: number;
  /** Timed repetitions; the result reports their median. @default 3 */
  readonly repetitions?: number;
  /**
   * Start runs on a fixed schedule, one every `intervalMs`, the thread idle in between (as a
   * server at a light rate is), instead of back to back; a run that overruns its slot is followed
   * at once (none is skipped). 0 = back to back. @default 0
   */
  readonly intervalMs?: number;
}

/** One timed repetition. */
export interface BareSessionRepetition {
  readonly runs: number;
  readonly seconds: number;
  /** Items (rows) per second = runs · batchSize / seconds. */
  readonly itemsPerSecond: number;
}

/** Result of {@link measureBareSession}. */
export interface BareSessionResult {
  readonly modelPath: string;
  readonly batchSize: number;
  readonly threads: number;
  /** Median over repetitions of items (rows) per second. */
  readonly itemsPerSecond: number;
  /** Median over repetitions of runs per second. */
  readonly runsPerSecond: number;
  /** p50 / p99 of single `session.run` latency over all timed runs, ms. */
  readonly runP50Ms: number;
  readonly runP99Ms: number;
  readonly repetitions: readonly BareSessionRepetition[];
}

// Plain CommonJS so it runs in an eval'd worker under any loader (tsx, vitest, compiled JS).
const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ortPath);
const { modelPath, batchSize, threads, warmupRuns, durationMs, repetitions, intervalMs } = workerData;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ctor = { float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  bool: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array };
(async () => {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  const feeds = {};
  let seed = 12345;
  for (const m of session.inputMetadata) {
    if (!m.isTensor || !ctor[m.type]) throw new Error("unsupported input " + m.name + " of type " + m.type);
    const dims = m.shape.map((d, i) => (typeof d === "number" && d >= 0 ? d : i === 0 ? batchSize : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new ctor[m.type](n);
    if (m.type === "float32" || m.type === "float64") {
      for (let i = 0; i < n; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; data[i] = seed / 2147483648 - 1; }
    }
    feeds[m.name] = new ort.Tensor(m.type, data, dims);
  }
  for (let i = 0; i < warmupRuns; i++) await session.run(feeds);
  const reps = [];
  const lat = [];
  for (let r = 0; r < repetitions; r++) {
    let runs = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < durationMs) {
      // A timer may fire up to a millisecond early (libuv counts whole ms): wait out the rest, so no
      // run starts before its slot.
      if (intervalMs > 0) for (let left = t0 + runs * intervalMs - performance.now(); left > 0; left = t0 + runs * intervalMs - performance.now()) await sleep(left);
      const s = performance.now();
      await session.run(feeds);
      t = performance.now();
      lat.push(t - s);
      runs++;
    }
    reps.push({ runs, seconds: (t - t0) / 1000 });
  }
  await session.release();
  parentPort.postMessage({ reps, lat });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
};

/**
 * Loads `modelPath` in a fresh worker thread, warms it, then calls `session.run` back to back for
 * `repetitions` × `durationS` seconds on fixed inputs (floats pseudo-random, free dims other than
 * the batch set to 1), and reports the median throughput. Rejects if the model cannot be loaded
 * or run.
 */
export async function measureBareSession(options: BareSessionOptions): Promise<BareSessionResult> {
  const { modelPath, batchSize, threads } = options;
  const warmupRuns = options.warmupRuns ?? 5;
  const durationS = options.durationS ?? 3;
  const repetitions = options.repetitions ?? 3;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new RangeError(`repetitions must be an integer ≥ 1, got ${repetitions}`);
  if (!(durationS > 0)) throw new RangeError(`durationS must be > 0, got ${durationS}`);
  if (!((options.intervalMs ?? 0) >= 0)) throw new RangeError(`intervalMs must be ≥ 0, got ${options.intervalMs}`);
  const ortPath = createRequire(import.meta.url).resolve("onnxruntime-node");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ortPath, modelPath, batchSize, threads, warmupRuns, durationMs: durationS * 1000, repetitions, intervalMs: options.intervalMs ?? 0 },
  });
  try {
    const msg = await new Promise<{ reps: { runs: number; seconds: number }[]; lat: number[] } | { error: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`bare-session worker exited with code ${code}`)));
    });
    if ("error" in msg) throw new Error(`bare session.run on ${modelPath} failed: ${msg.error}`);
    const reps = msg.reps.map((r) => ({ ...r, itemsPerSecond: (r.runs * batchSize) / r.seconds }));
    return {
      modelPath,
      batchSize,
      threads,
      itemsPerSecond: median(reps.map((r) => r.itemsPerSecond)),
      runsPerSecond: median(reps.map((r) => r.runs / r.seconds)),
      runP50Ms: quantile(msg.lat, 0.5),
      runP99Ms: quantile(msg.lat, 0.99),
      repetitions: reps,
    };
  } finally {
    await worker.terminate();
  }
}
