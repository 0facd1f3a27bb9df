import { gatherPixels } from "../data/fashion-mnist.js";
import type { FashionSplit } from "../data/fashion-mnist.js";
import { FASHION_RESOLUTION } from "../families/fashion-architectures.js";
import { createZooSession, floatTensor } from "../ort/session.js";

/** Result of evaluating a classifier on a labelled split. */
export interface EvaluationResult {
  /** Fraction of samples whose arg-max logit equals the label. */
  accuracy: number;
  correct: number;
  count: number;
}

/** Options of {@link evaluateFashionModel}. */
export interface EvaluateOptions {
  /** Samples per ORT run. @default 1000 */
  batchSize?: number;
  /** ORT intra-op threads. @default 1 */
  intraOpThreads?: number;
}

/**
 * Top-1 accuracy of a fashion model (path or bytes; input `"input"` `[N,1,28,28]`, output
 * `"logits"` `[N,10]`) on every sample of `split`, evaluated in batches with onnxruntime.
 */
export async function evaluateFashionModel(model: string | Uint8Array, split: FashionSplit, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  const batchSize = options.batchSize ?? 1000;
  const session = await createZooSession(model, { intraOpThreads: options.intraOpThreads ?? 1 });
  try {
    let correct = 0;
    for (let start = 0; start < split.count; start += batchSize) {
      const n = Math.min(batchSize, split.count - start);
      const indices = Array.from({ length: n }, (_, j) => start + j);
      const x = floatTensor(gatherPixels(split, indices), [n, 1, FASHION_RESOLUTION, FASHION_RESOLUTION]);
      const out = await session.run({ input: x });
      const logits = out.logits?.data as Float32Array;
      const classes = logits.length / n;
      for (let j = 0; j < n; j++) {
        let best = 0;
        for (let k = 1; k < classes; k++) if ((logits[j * classes + k] as number) > (logits[j * classes + best] as number)) best = k;
        if (best === split.labels[start + j]) correct++;
      }
    }
    return { accuracy: correct / split.count, correct, count: split.count };
  } finally {
    await session.release();
  }
}
