import * as ort from "onnxruntime-node";

/** Options of a zoo inference session. */
export interface ZooSessionOptions {
  /** ORT intra-op threads (the cores one run may use). @default 1 */
  intraOpThreads?: number;
}

/**
 * Opens an ORT session with the project's settings: the requested intra-op threads, one inter-op
 * thread, no spinning (spinning threads burn the shared cores between runs) and full graph
 * optimisation.
 */
export function createZooSession(model: string | Uint8Array, options: ZooSessionOptions = {}): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
  return typeof model === "string" ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
}

/** A float32 tensor of the given shape. */
export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}
