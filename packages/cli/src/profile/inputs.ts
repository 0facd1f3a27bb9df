import { createRng } from "@fulcrum/core/rng";
import type { TensorData } from "@fulcrum/inference";
import type { TensorSpec } from "@fulcrum/zoo";

const DTYPE_BYTES = { float32: 4, int64: 8 } as const;

/**
 * Input tensors for one batch of a zoo model: the batch dimension `"N"` set to `batch`, float32
 * inputs filled with seeded values in [0, 1) (the models' pixel range; timing does not depend on
 * the values, but denormals and NaNs could), int64 inputs with zeros.
 */
export function batchInputs(specs: readonly TensorSpec[], batch: number, seed = 1): Record<string, TensorData> {
  const rng = createRng(seed);
  const out: Record<string, TensorData> = {};
  for (const s of specs) {
    const dims = s.shape.map((d) => (d === "N" ? batch : d));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(n * DTYPE_BYTES[s.dtype]);
    if (s.dtype === "float32") {
      const f = new Float32Array(data.buffer);
      for (let i = 0; i < n; i++) f[i] = rng.next();
    }
    out[s.name] = { dtype: s.dtype, dims, data };
  }
  return out;
}

/** Fresh copies of `inputs` (the pool transfers, and so detaches, the buffers it is given). */
export function copyInputs(inputs: Readonly<Record<string, TensorData>>): Record<string, TensorData> {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { dtype: t.dtype, dims: t.dims, data: t.data.slice() }]));
}
