import type { TensorDtype } from "./tensor.js";

/** A tensor on the worker wire: its bytes are the whole `buffer` (offset 0), listed in the transfer list. */
export interface WireTensor {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly dims: readonly number[];
  readonly buffer: ArrayBuffer;
}

/** One model input or output as onnxruntime describes it; symbolic dims (e.g. the batch) are strings. */
export interface TensorSpec {
  readonly name: string;
  /** onnxruntime type name (`float32`, `int64`, …); `undefined` for non-tensor values. */
  readonly dtype: string | undefined;
  /** Declared shape: numbers for fixed dims, strings (`"N"`) or -1 for free ones; empty if unknown. */
  readonly shape: readonly (number | string)[];
}

/** Ways to kill a worker on purpose (chaos tests of the crash path). */
export type WorkerFault = "exit-on-next-run" | "throw-on-next-run";

/** Messages from the pool to a worker. Every request carries `id`; the worker answers with the same `id`. */
export type ToWorker =
  | { readonly kind: "load"; readonly id: number; readonly modelPath: string; readonly intraOpThreads: number }
  | { readonly kind: "warm"; readonly id: number; readonly batchSizes: readonly number[]; readonly runsPerSize: number }
  | { readonly kind: "run"; readonly id: number; readonly inputs: readonly WireTensor[] }
  | { readonly kind: "fault"; readonly id: number; readonly fault: WorkerFault }
  | { readonly kind: "close"; readonly id: number };

/** Messages from a worker to the pool. `ready` is sent once, unprompted, when imports are done. */
export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "loaded"; readonly id: number; readonly inputs: TensorSpec[]; readonly outputs: TensorSpec[]; readonly loadMs: number }
  | { readonly kind: "warmed"; readonly id: number; readonly warmMs: number }
  | {
      readonly kind: "result";
      readonly id: number;
      readonly outputs: WireTensor[];
      readonly runMs: number;
      readonly queuedMs: number;
      /** The run's input buffers, handed back (transferred) for reuse. */
      readonly inputs: ArrayBuffer[];
    }
  | { readonly kind: "ok"; readonly id: number }
  | { readonly kind: "failed"; readonly id: number; readonly message: string };
