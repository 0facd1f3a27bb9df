import type * as ort from "onnxruntime-node";
import { createRng } from "@fulcrum/core/rng";
import { gatherPixels } from "../data/fashion-mnist.js";
import type { FashionMnist, FashionSplit } from "../data/fashion-mnist.js";
import { ZooOptionError } from "../errors.js";
import {
  FASHION_CLASSES,
  FASHION_RESOLUTION,
  applyView,
  fashionArchitecture,
  planArchitecture,
  weightsVariant,
} from "../families/fashion-architectures.js";
import type { FashionArchitecture, TestTimeView } from "../families/fashion-architectures.js";
import type { BuiltModel } from "../families/types.js";
import { evaluateFashionModel } from "../eval/evaluate.js";
import { ZOO_OPSET } from "../onnx/graph-builder.js";
import { createWeightSource, deriveSeed } from "../onnx/weights.js";
import { BATCH_DIM, sha256Hex } from "../manifest.js";
import type { TrainingRecord } from "../manifest.js";
import { createZooSession, floatTensor } from "../ort/session.js";
import { buildFashionInferenceGraph, buildFashionTrainingStepGraph, stepTensorNames } from "./fashion-graphs.js";
import type { FashionWeights } from "./fashion-graphs.js";

/** Bumped when training changes its output for the same options. */
export const FASHION_GENERATOR_VERSION = 1;

/** Progress of a training run, reported after every step. */
export interface TrainProgress {
  variant: string;
  /** Steps done so far (1-based) and in total. */
  step: number;
  steps: number;
  epoch: number;
  /** Loss of the step just taken (mean cross-entropy of its batch). */
  loss: number;
}

/** Options of {@link trainFashionVariant}. */
export interface TrainFashionOptions {
  variant: string;
  data: FashionMnist;
  /** Seed of initial weights and shuffling; the same seed and threads give the same file. */
  seed: number;
  /** Overrides the architecture's epoch count. */
  epochs?: number;
  /** Train on only the first `trainLimit` training samples (tests). @default all */
  trainLimit?: number;
  /** ORT intra-op threads used for the training steps and the evaluation. @default 1 */
  intraOpThreads?: number;
  onProgress?: (progress: TrainProgress) => void;
  /**
   * Already-trained weights of the variant's `base` (for variants that reuse another's weights),
   * with that training's record; without them the base recipe is trained here.
   */
  baseWeights?: { weights: FashionWeights; training: TrainingRecord };
}

/** A trained model, its manifest (accuracy measured on the whole test split) and its weights. */
export interface TrainedModel extends BuiltModel {
  weights: FashionWeights;
}

/** Seeded initial weights: He-uniform for layers followed by ReLU, LeCun-uniform for the output layer, zero biases. */
export function initialFashionWeights(arch: FashionArchitecture, seed: number): Map<string, Float32Array> {
  const plan = planArchitecture(arch);
  const weights = new Map<string, Float32Array>();
  for (const p of plan.params) {
    const count = p.dims.reduce((a, b) => a * b, 1);
    const layerIndex = Number(p.name.slice(1, p.name.indexOf("_")));
    const layer = arch.layers[layerIndex];
    const isBias = p.name.endsWith("_b");
    const gain = layer && (layer.kind === "conv" || layer.relu) ? Math.SQRT2 : 1;
    const source = createWeightSource(deriveSeed(seed, `fashion/${weightsVariant(arch)}/${p.name}`));
    weights.set(p.name, isBias ? new Float32Array(count) : source.scaled(count, p.fanIn, gain));
  }
  return weights;
}

/** One-hot `[n,10]` labels of samples `indices`. */
export function oneHot(split: FashionSplit, indices: ArrayLike<number>): Float32Array {
  const y = new Float32Array(indices.length * FASHION_CLASSES);
  for (let j = 0; j < indices.length; j++) y[j * FASHION_CLASSES + (split.labels[indices[j] as number] as number)] = 1;
  return y;
}

/** A runnable training step: feeds weights + velocities, returns the loss and replaces them. */
export interface TrainingStep {
  /** Runs one step on `indices` of `split` with learning rate `lr`; returns the batch loss (before the update). */
  run(
    split: FashionSplit,
    indices: ArrayLike<number>,
    lr: number,
    augment?: (batch: Float32Array) => void,
  ): Promise<{ loss: number; gradients: Map<string, Float32Array> }>;
  weights: Map<string, Float32Array>;
  release(): Promise<void>;
}

/** Opens a training-step session over `weights` (which it updates in place after each step). */
export async function createTrainingStep(
  arch: FashionArchitecture,
  weights: Map<string, Float32Array>,
  options: { momentum: number; emitGradients?: boolean; intraOpThreads?: number },
): Promise<TrainingStep> {
  const plan = planArchitecture(arch);
  const session = await createZooSession(buildFashionTrainingStepGraph(arch, options), { intraOpThreads: options.intraOpThreads ?? 1 });
  const velocities = new Map(plan.params.map((p) => [p.name, new Float32Array(p.dims.reduce((a, b) => a * b, 1))]));
  return {
    weights,
    async run(split, indices, lr, augment) {
      const n = indices.length;
      const pixels = gatherPixels(split, indices);
      augment?.(pixels);
      const feeds: Record<string, ort.Tensor> = {
        x: floatTensor(pixels, [n, 1, FASHION_RESOLUTION, FASHION_RESOLUTION]),
        y: floatTensor(oneHot(split, indices), [n, FASHION_CLASSES]),
        lr: floatTensor(Float32Array.of(lr), []),
      };
      for (const p of plan.params) {
        feeds[p.name] = floatTensor(weights.get(p.name) as Float32Array, p.dims);
        feeds[stepTensorNames(p.name).velocity] = floatTensor(velocities.get(p.name) as Float32Array, p.dims);
      }
      const out = await session.run(feeds);
      const gradients = new Map<string, Float32Array>();
      for (const p of plan.params) {
        const names = stepTensorNames(p.name);
        weights.set(p.name, Float32Array.from(out[names.nextParam]?.data as Float32Array));
        velocities.set(p.name, Float32Array.from(out[names.nextVelocity]?.data as Float32Array));
        if (options.emitGradients) gradients.set(p.name, Float32Array.from(out[names.gradient]?.data as Float32Array));
      }
      return { loss: (out.loss?.data as Float32Array)[0] as number, gradients };
    },
    release: () => session.release(),
  };
}


/** The SGD loop of {@link trainFashionVariant}: returns the trained weights and the recipe record. */
async function trainWeights(
  arch: FashionArchitecture,
  epochs: number,
  options: TrainFashionOptions,
): Promise<{ weights: Map<string, Float32Array>; record: Omit<TrainingRecord, "testSamples" | "trainSeconds"> }> {
  const { train } = options.data;
  const trainCount = Math.min(options.trainLimit ?? train.count, train.count);
  const stepsPerEpoch = Math.floor(trainCount / arch.batchSize);
  if (stepsPerEpoch < 1) throw new ZooOptionError("trainLimit", `${trainCount} samples do not fill one batch of ${arch.batchSize}`);
  const threads = options.intraOpThreads ?? 1;

  const weights = initialFashionWeights(arch, options.seed);
  const step = await createTrainingStep(arch, weights, { momentum: arch.momentum, intraOpThreads: threads });
  const steps = epochs * stepsPerEpoch;
  let lastEpochLoss = 0;
  try {
    let done = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = Uint32Array.from({ length: trainCount }, (_, i) => i);
      const rng = createRng(deriveSeed(options.seed, `fashion/${weightsVariant(arch)}/shuffle/${epoch}`));
      for (let i = trainCount - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const tmp = order[i] as number;
        order[i] = order[j] as number;
        order[j] = tmp;
      }
      let lossSum = 0;
      const views = arch.trainViews;
      const viewRng = createRng(deriveSeed(options.seed, `fashion/${weightsVariant(arch)}/views/${epoch}`));
      const scratch = new Float32Array(FASHION_RESOLUTION * FASHION_RESOLUTION);
      const augment = views?.length
        ? (batch: Float32Array): void => {
            for (let j = 0; j < arch.batchSize; j++) applyView(batch, j, views[Math.floor(viewRng.next() * views.length)] as TestTimeView, scratch);
          }
        : undefined;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const lr = (arch.learningRate * (1 + Math.cos((Math.PI * done) / steps))) / 2;
        const { loss } = await step.run(train, order.subarray(s * arch.batchSize, (s + 1) * arch.batchSize), lr, augment);
        lossSum += loss;
        done++;
        options.onProgress?.({ variant: arch.variant, step: done, steps, epoch: epoch + 1, loss });
      }
      lastEpochLoss = lossSum / stepsPerEpoch;
    }
  } finally {
    await step.release();
  }
  return {
    weights,
    record: {
      dataset: "Fashion-MNIST (Debian dataset-fashion-mnist)",
      trainSamples: trainCount,
      epochs,
      batchSize: arch.batchSize,
      learningRate: arch.learningRate,
      momentum: arch.momentum,
      finalTrainLoss: lastEpochLoss,
    },
  };
}

/**
 * Trains one fashion variant with onnxruntime as the training engine (SGD with momentum, cosine
 * learning-rate decay, seeded shuffling; the last partial batch of an epoch is dropped), then
 * measures its accuracy on the whole test split. Deterministic for a given seed and thread count.
 */
export async function trainFashionVariant(options: TrainFashionOptions): Promise<TrainedModel> {
  const arch = fashionArchitecture(options.variant);
  if (!arch) throw new ZooOptionError("variant", `"${options.variant}" is not a fashion variant`);
  const epochs = options.epochs ?? arch.epochs;
  if (!Number.isInteger(epochs) || epochs < 1) throw new ZooOptionError("epochs", `must be a positive integer, got ${epochs}`);
  const { test } = options.data;
  const threads = options.intraOpThreads ?? 1;
  const startedMs = performance.now();
  let weights: FashionWeights;
  let record: Omit<TrainingRecord, "testSamples" | "trainSeconds">;
  if (arch.base && options.baseWeights) {
    weights = options.baseWeights.weights;
    record = options.baseWeights.training;
  } else {
    ({ weights, record } = await trainWeights(arch, epochs, options));
  }
  const trainSeconds = (performance.now() - startedMs) / 1000;
  const { bytes, params, plan } = buildFashionInferenceGraph(arch, weights);
  const evaluation = await evaluateFashionModel(bytes, test, { intraOpThreads: threads });
  return {
    bytes,
    weights,
    manifest: {
      schemaVersion: 1,
      family: "fashion",
      variant: arch.variant,
      file: `${arch.variant}-r${FASHION_RESOLUTION}.onnx`,
      description: `${arch.description}; input pixels scaled to [0, 1], normalised inside the model`,
      inputs: [{ name: "input", dtype: "float32", shape: [BATCH_DIM, 1, FASHION_RESOLUTION, FASHION_RESOLUTION] }],
      outputs: [{ name: "logits", dtype: "float32", shape: [BATCH_DIM, FASHION_CLASSES] }],
      accuracy: evaluation.accuracy,
      accuracyMetric: "top1",
      accuracySource: "measured",
      accuracyReference: `top-1 on the Fashion-MNIST test split (${evaluation.count} held-out images), measured by Fulcrum after training`,
      params,
      flops: 2 * plan.macs,
      sha256: sha256Hex(bytes),
      sizeBytes: bytes.byteLength,
      resolution: FASHION_RESOLUTION,
      seed: options.seed,
      generatorVersion: FASHION_GENERATOR_VERSION,
      opset: ZOO_OPSET,
      training: {
        ...record,
        testSamples: evaluation.count,
        trainSeconds: Math.round(trainSeconds * 10) / 10,
      },
    },
  };
}
