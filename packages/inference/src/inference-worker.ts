/**
 * Worker-thread entry: owns at most one onnxruntime session and runs one request at a time
 * (`session.run` is synchronous native code; here it blocks only this thread). Protocol in
 * `messages.ts`; spawned by `worker-host.ts`.
 */
import { existsSync, readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { FromWorker, TensorSpec, ToWorker, WireTensor, WorkerFault } from "./messages.js";
import { DTYPE_BYTES, isTensorDtype, transferableBytes } from "./tensor.js";
import type { TensorDtype } from "./tensor.js";

const port = parentPort;
if (port === null) throw new Error("inference-worker.ts must run in a worker thread");

let session: ort.InferenceSession | undefined;
let pendingFault: WorkerFault | undefined;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(msg, transfer);
}

function typedArray(dtype: TensorDtype, buffer: ArrayBuffer): ort.Tensor.DataType {
  switch (dtype) {
    case "float32": return new Float32Array(buffer);
    case "float64": return new Float64Array(buffer);
    case "float16": return new Uint16Array(buffer);
    case "int8": return new Int8Array(buffer);
    case "uint8": return new Uint8Array(buffer);
    case "bool": return new Uint8Array(buffer);
    case "int16": return new Int16Array(buffer);
    case "uint16": return new Uint16Array(buffer);
    case "int32": return new Int32Array(buffer);
    case "uint32": return new Uint32Array(buffer);
    case "int64": return new BigInt64Array(buffer);
    case "uint64": return new BigUint64Array(buffer);
  }
}

function specs(meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return meta.map((m) => ({ name: m.name, dtype: m.isTensor ? m.type : undefined, shape: m.isTensor ? [...m.shape] : [] }));
}

async function load(modelPath: string, intraOpThreads: number): Promise<Extract<FromWorker, { kind: "loaded" }>> {
  const t0 = performance.now();
  session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // Spinning intra-op threads burn a core each between batches (docs/architecture.md#onnxruntime-threads).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  return { kind: "loaded", id: 0, inputs: specs(session.inputMetadata), outputs: specs(session.outputMetadata), loadMs: performance.now() - t0 };
}

/** Zero-filled inputs at `batch` rows: free dims other than the first are taken as 1. */
function warmFeeds(s: ort.InferenceSession, batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const m of s.inputMetadata) {
    if (!m.isTensor || !isTensorDtype(m.type)) throw new Error(`cannot warm up input "${m.name}" of type ${m.isTensor ? m.type : "non-tensor"}`);
    const dims = m.shape.map((d, i) => (typeof d === "number" && d >= 0 ? d : i === 0 ? batch : 1));
    const bytes = dims.reduce((a, b) => a * b, 1) * DTYPE_BYTES[m.type];
    feeds[m.name] = new ort.Tensor(m.type, typedArray(m.type, new ArrayBuffer(bytes)), dims);
  }
  return feeds;
}

async function warm(batchSizes: readonly number[], runsPerSize: number): Promise<number> {
  const s = requireSession();
  const t0 = performance.now();
  for (const b of batchSizes) {
    const feeds = warmFeeds(s, b);
    for (let i = 0; i < runsPerSize; i++) await s.run(feeds);
  }
  return performance.now() - t0;
}

async function run(inputs: readonly WireTensor[]): Promise<{ outputs: WireTensor[]; transfer: ArrayBuffer[]; runMs: number }> {
  const s = requireSession();
  if (pendingFault !== undefined) fire(pendingFault);
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = new ort.Tensor(t.dtype, typedArray(t.dtype, t.buffer), [...t.dims]);
  const t0 = performance.now();
  const result = await s.run(feeds);
  const runMs = performance.now() - t0;
  const outputs: WireTensor[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const name of s.outputNames) {
    const t = result[name];
    if (t === undefined) throw new Error(`output "${name}" missing from the result`);
    if (!isTensorDtype(t.type)) throw new Error(`output "${name}" has unsupported type ${t.type}`);
    const buffer = transferableBytes(t.data as ArrayBufferView);
    outputs.push({ name, dtype: t.type, dims: [...t.dims], buffer });
    transfer.push(buffer);
  }
  return { outputs, transfer, runMs };
}

function requireSession(): ort.InferenceSession {
  if (session === undefined) throw new Error("no session loaded in this worker");
  return session;
}

function fire(fault: WorkerFault): never {
  // An exit mid-run is what a native abort in a kernel looks like from the pool's side.
  if (fault === "exit-on-next-run") process.exit(70);
  throw new Error("injected fault: uncaught error in the inference worker");
}

// Messages run one at a time in arrival order: the pool may send the next batch while this one
// runs (so the cores never wait for a round trip through the main thread), and each run's time
// must be its own.
let chain: Promise<void> = Promise.resolve();
port.on("message", (msg: ToWorker) => {
  const receivedMs = performance.now();
  chain = chain.then(() =>
    handle(msg, receivedMs).catch((err: unknown) => {
      post({ kind: "failed", id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }),
  );
});

async function handle(msg: ToWorker, receivedMs: number): Promise<void> {
  switch (msg.kind) {
    case "load": {
      const loaded = await load(msg.modelPath, msg.intraOpThreads);
      post({ ...loaded, id: msg.id });
      return;
    }
    case "warm":
      post({ kind: "warmed", id: msg.id, warmMs: await warm(msg.batchSizes, msg.runsPerSize) });
      return;
    case "run": {
      if (pendingFault === "throw-on-next-run") {
        // Thrown outside the promise chain so it is a real uncaught exception in the worker.
        setImmediate(() => fire("throw-on-next-run"));
        return;
      }
      const queuedMs = performance.now() - receivedMs;
      const { outputs, transfer, runMs } = await run(msg.inputs);
      // The inputs go back to the pool for the next batch (session.run has let go of them).
      const inputs = msg.inputs.map((t) => t.buffer).filter((b) => !transfer.includes(b));
      post({ kind: "result", id: msg.id, outputs, runMs, queuedMs, inputs }, [...transfer, ...inputs]);
      return;
    }
    case "fault":
      pendingFault = msg.fault;
      post({ kind: "ok", id: msg.id });
      return;
    case "close":
      await session?.release();
      session = undefined;
      post({ kind: "ok", id: msg.id });
      port?.close();
      return;
  }
}

// Before onnxruntime starts its intra-op threads, which inherit this thread's nice value. Linux
// keeps a nice value per thread (`/proc/thread-self` names it); elsewhere the pool runs as is.
const niceness = (workerData as { niceness?: number } | null)?.niceness ?? 0;
if (niceness > 0 && existsSync("/proc/thread-self")) setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), niceness);

post({ kind: "ready" });
