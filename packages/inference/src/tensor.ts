import { TensorError } from "./errors.js";

/** Element bytes per supported dtype (onnxruntime names; the stage's codec maps OIP `FP32` etc.). */
export const DTYPE_BYTES = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
} as const;

/** Tensor element types the pool carries (strings are not supported). */
export type TensorDtype = keyof typeof DTYPE_BYTES;

/** Whether `s` names a supported dtype. */
export function isTensorDtype(s: string): s is TensorDtype {
  return Object.hasOwn(DTYPE_BYTES, s);
}

/**
 * A dense tensor as raw little-endian bytes: what crosses the worker boundary and what the codec
 * produces from OIP `raw_input_contents`. `data.byteLength` MUST equal `∏dims · DTYPE_BYTES[dtype]`.
 */
export interface TensorData {
  readonly dtype: TensorDtype;
  /** Shape; dims[0] is the batch dimension for batched models. */
  readonly dims: readonly number[];
  /** The elements' bytes (a view; see `InferencePool.run` for buffer ownership). */
  readonly data: Uint8Array;
}

/** Element count of `dims` (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Throws {@link TensorError} unless dtype is supported, dims are integers ≥ 0 and the byte length matches. */
export function checkTensor(name: string, t: TensorData): void {
  if (!isTensorDtype(t.dtype)) throw new TensorError(`unsupported dtype ${String(t.dtype)}`, { tensor: name });
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw new TensorError(`dims [${t.dims.join(",")}] must be integers ≥ 0`, { tensor: name });
  }
  const expected = elementCount(t.dims) * DTYPE_BYTES[t.dtype];
  if (!(t.data instanceof Uint8Array)) throw new TensorError("data must be a Uint8Array", { tensor: name });
  if (t.data.byteLength !== expected) {
    throw new TensorError(
      `${t.data.byteLength} bytes, expected ${expected} for ${t.dtype}[${t.dims.join(",")}]`,
      { tensor: name },
    );
  }
}

/**
 * Concatenates per-request tensors along dim 0 into one batch tensor in an exactly-sized
 * ArrayBuffer from `allocate` (default: a fresh one), so `InferencePool.run` can transfer it to the
 * worker without another copy. All parts MUST share dtype and non-batch dims.
 */
export function concatBatch(name: string, parts: readonly TensorData[], allocate: (bytes: number) => ArrayBuffer = (n) => new ArrayBuffer(n)): TensorData {
  const first = parts[0];
  if (first === undefined) throw new TensorError("cannot batch zero tensors", { tensor: name });
  if (first.dims.length === 0) throw new TensorError("cannot batch a scalar", { tensor: name });
  const tail = first.dims.slice(1);
  let rows = 0;
  let bytes = 0;
  for (const p of parts) {
    checkTensor(name, p);
    if (p.dtype !== first.dtype) throw new TensorError(`dtype ${p.dtype} differs from ${first.dtype} in the same batch`, { tensor: name });
    if (p.dims.length !== first.dims.length || p.dims.some((d, i) => i > 0 && d !== tail[i - 1])) {
      throw new TensorError(`dims [${p.dims.join(",")}] do not match [*,${tail.join(",")}] in the same batch`, { tensor: name });
    }
    rows += p.dims[0] as number;
    bytes += p.data.byteLength;
  }
  const out = new Uint8Array(allocate(bytes));
  if (out.byteLength !== bytes) throw new TensorError(`allocated ${out.byteLength} bytes for a batch of ${bytes}`, { tensor: name });
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.byteLength;
  }
  return { dtype: first.dtype, dims: [rows, ...tail], data: out };
}

/**
 * Splits a batch tensor along dim 0 into consecutive pieces of `rows[i]` rows each. Zero-copy:
 * every piece is a view into `batch.data`.
 */
export function splitBatch(name: string, batch: TensorData, rows: readonly number[]): TensorData[] {
  const total = batch.dims[0];
  if (total === undefined) throw new TensorError("cannot split a scalar", { tensor: name });
  const sum = rows.reduce((a, b) => a + b, 0);
  if (sum !== total) throw new TensorError(`split rows sum to ${sum}, batch has ${total}`, { tensor: name });
  const tail = batch.dims.slice(1);
  const rowBytes = elementCount(tail) * DTYPE_BYTES[batch.dtype];
  const out: TensorData[] = [];
  let at = 0;
  for (const r of rows) {
    out.push({ dtype: batch.dtype, dims: [r, ...tail], data: batch.data.subarray(at, at + r * rowBytes) });
    at += r * rowBytes;
  }
  return out;
}

/**
 * Bytes of `view` as a standalone ArrayBuffer that is safe to transfer: the view's own buffer when
 * the view spans all of it (zero-copy, the caller's buffer gets detached), otherwise a copy of
 * just the view's bytes (a view into a pooled or shared buffer must not detach its neighbours).
 */
export function transferableBytes(view: ArrayBufferView): ArrayBuffer {
  const buf = view.buffer;
  if (buf instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buf.byteLength) return buf;
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(buf, view.byteOffset, view.byteLength));
  return copy.buffer;
}
