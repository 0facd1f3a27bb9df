import type { Rng } from "../rng/index.js";
import { createRng } from "../rng/index.js";
import { TrainingError } from "./errors.js";
import type { LstmShape, LstmWeights } from "./lstm.js";
import type { LstmFeature, LstmNormalization, LstmWindow } from "./lstm.js";
import { initLstmWeights, inputScale, lstmForward, lstmInput } from "./lstm.js";
import type { WindowSamples } from "./windowing.js";

/** Options of {@link trainLstm}. Defaults follow IPA (Adam, MSE, batch 64) with fewer epochs. */
export interface LstmTrainOptions extends Omit<LstmShape, "normalization"> {
  /**
   * Input scaling: "fixed" uses the mean of the training inputs as the scale, "window-mean" the
   * mean of each window. @default "fixed"
   */
  normalization?: LstmNormalization["kind"];
  /** Seed for initialization and shuffling: same seed + same data = same weights. */
  seed: number;
  /** Passes over the training samples. @default 8 */
  epochs?: number;
  /** Samples per Adam step. @default 64 */
  batchSize?: number;
  /** Adam step size at the start. @default 0.003 */
  learningRate?: number;
  /** The step size decays linearly to this fraction of `learningRate` by the last batch. @default 0.1 */
  finalLearningRateFraction?: number;
  /** Fraction of samples (the last ones, in time order) held out to pick the best epoch. @default 0.1 */
  validationFraction?: number;
  /**
   * Training loss on the normalized scale: "mape" = mean |y − t| / t (what forecasts are judged by;
   * its minimizer is a median-like point, less pulled up by rare spikes), "mse" = mean (y − t)².
   * @default "mape"
   */
  loss?: LstmLoss;
  /** Global gradient-norm clip, against exploding gradients through time. @default 5 */
  clipNorm?: number;
  /** Called after every batch so callers can draw progress. */
  onProgress?: (progress: LstmTrainProgress) => void;
}

/** Loss a model is trained with; see {@link LstmTrainOptions.loss}. */
export type LstmLoss = "mse" | "mape";

/** Normalized targets below this are treated as this in the "mape" loss, so near-idle samples cannot dominate. */
const MAPE_TARGET_FLOOR = 0.05;

/** Training progress, reported after each batch. */
export interface LstmTrainProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  batches: number;
  /** Mean training loss of the epoch so far (normalized scale). */
  trainLoss: number;
  /** Validation loss of the previous completed epoch (undefined during the first). */
  validationLoss?: number;
}

/** Result of {@link trainLstm}. */
export interface LstmTrainResult {
  /** The weights of the epoch with the lowest validation loss. */
  weights: LstmWeights;
  /** Mean training loss per epoch (normalized scale). */
  trainLoss: number[];
  /** Validation loss per epoch (normalized scale). */
  validationLoss: number[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
}

/** A normalized sample: step-major flattened inputs and target divided by the input's scale. */
export interface NormalizedSample {
  xs: Float64Array;
  target: number;
}

function sampleWindow(samples: WindowSamples, n: number): LstmWindow {
  const means = samples.meanInputs?.[n];
  const peaks = samples.inputs[n] as number[];
  return means === undefined ? { peaks } : { peaks, means };
}

/** Flattens and scales windows as the model does at inference time ({@link lstmInput}, {@link inputScale}). */
export function normalizeSamples(
  samples: WindowSamples,
  features: readonly LstmFeature[],
  windowBins: number,
  normalization: LstmNormalization,
): NormalizedSample[] {
  return samples.targets.map((target, n) => {
    const xs = lstmInput(features, windowBins, sampleWindow(samples, n));
    const scale = inputScale(normalization, xs);
    for (let i = 0; i < xs.length; i++) xs[i] = (xs[i] as number) / scale;
    return { xs, target: target / scale };
  });
}

/** Offsets of the flat parameter layout: w | r | b | headW | headB. */
function layout(H: number, F: number) {
  const r = 4 * H * F;
  const b = r + 4 * H * H;
  const headW = b + 4 * H;
  const headB = headW + H;
  return { r, b, headW, headB, count: headB + 1 };
}

/** Number of trainable parameters (the length of the gradient vector). */
export function lstmParameterCount(hiddenSize: number, featureCount: number): number {
  return layout(hiddenSize, featureCount).count;
}

function flatten(wt: LstmWeights): Float64Array {
  const L = layout(wt.hiddenSize, wt.features.length);
  const p = new Float64Array(L.count);
  p.set(wt.w, 0);
  p.set(wt.r, L.r);
  p.set(wt.b, L.b);
  p.set(wt.headW, L.headW);
  p[L.headB] = wt.headB;
  return p;
}

function unflatten(p: Float64Array, like: LstmWeights): LstmWeights {
  const L = layout(like.hiddenSize, like.features.length);
  const { training: _training, ...shape } = like;
  return {
    ...shape,
    w: Array.from(p.subarray(0, L.r)),
    r: Array.from(p.subarray(L.r, L.b)),
    b: Array.from(p.subarray(L.b, L.headW)),
    headW: Array.from(p.subarray(L.headW, L.headB)),
    headB: p[L.headB] as number,
  };
}

/**
 * Forward + backward through time for one batch. Returns the batch's mean loss (on the normalized
 * scale) and ADDS d(loss)/d(params) into `grad` (same flat layout as the parameters).
 * Exported for the gradient check.
 */
export function lstmBatchLossAndGradient(weights: LstmWeights, batch: readonly NormalizedSample[], grad: Float64Array, loss: LstmLoss = "mse"): number {
  const p = flatten(weights);
  return batchLossAndGradient(p, weights.hiddenSize, weights.features.length, batch, grad, loss);
}

function batchLossAndGradient(p: Float64Array, H: number, F: number, batch: readonly NormalizedSample[], grad: Float64Array, lossKind: LstmLoss): number {
  const { r: oR, b: oB, headW: oHW, headB: oHB } = layout(H, F);
  let loss = 0;
  for (const sample of batch) {
    const T = sample.xs.length / F;
    // Per step: activated gates (i, o, f, g), cell state, and hidden state.
    const gates = new Float64Array(T * 4 * H);
    const cs = new Float64Array((T + 1) * H);
    const hs = new Float64Array((T + 1) * H);
    for (let t = 0; t < T; t++) {
      const hPrev = t * H;
      for (let gi = 0; gi < 4 * H; gi++) {
        let s = p[oB + gi] as number;
        for (let f = 0; f < F; f++) s += (p[gi * F + f] as number) * (sample.xs[t * F + f] as number);
        const row = oR + gi * H;
        for (let k = 0; k < H; k++) s += (p[row + k] as number) * (hs[hPrev + k] as number);
        gates[t * 4 * H + gi] = gi < 3 * H ? 1 / (1 + Math.exp(-s)) : Math.tanh(s);
      }
      for (let j = 0; j < H; j++) {
        const g0 = t * 4 * H;
        const c = (gates[g0 + 2 * H + j] as number) * (cs[t * H + j] as number) + (gates[g0 + j] as number) * (gates[g0 + 3 * H + j] as number);
        cs[(t + 1) * H + j] = c;
        hs[(t + 1) * H + j] = (gates[g0 + H + j] as number) * Math.tanh(c);
      }
    }
    let y = p[oHB] as number;
    for (let j = 0; j < H; j++) y += (p[oHW + j] as number) * (hs[T * H + j] as number);
    const err = y - sample.target;
    let dy: number;
    if (lossKind === "mse") {
      loss += err * err;
      dy = (2 * err) / batch.length;
    } else {
      const denominator = Math.max(sample.target, MAPE_TARGET_FLOOR);
      loss += Math.abs(err) / denominator;
      dy = Math.sign(err) / denominator / batch.length;
    }
    grad[oHB] = (grad[oHB] as number) + dy;
    let dh = new Float64Array(H);
    let dc = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      grad[oHW + j] = (grad[oHW + j] as number) + dy * (hs[T * H + j] as number);
      dh[j] = dy * (p[oHW + j] as number);
    }
    const da = new Float64Array(4 * H);
    for (let t = T - 1; t >= 0; t--) {
      const g0 = t * 4 * H;
      const dcPrev = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const i = gates[g0 + j] as number;
        const o = gates[g0 + H + j] as number;
        const f = gates[g0 + 2 * H + j] as number;
        const g = gates[g0 + 3 * H + j] as number;
        const c = cs[(t + 1) * H + j] as number;
        const tc = Math.tanh(c);
        const dhj = dh[j] as number;
        const dcj = (dc[j] as number) + dhj * o * (1 - tc * tc);
        da[j] = dcj * g * i * (1 - i);
        da[H + j] = dhj * tc * o * (1 - o);
        da[2 * H + j] = dcj * (cs[t * H + j] as number) * f * (1 - f);
        da[3 * H + j] = dcj * i * (1 - g * g);
        dcPrev[j] = dcj * f;
      }
      const dhPrev = new Float64Array(H);
      for (let gi = 0; gi < 4 * H; gi++) {
        const d = da[gi] as number;
        if (d === 0) continue;
        for (let f = 0; f < F; f++) grad[gi * F + f] = (grad[gi * F + f] as number) + d * (sample.xs[t * F + f] as number);
        grad[oB + gi] = (grad[oB + gi] as number) + d;
        const row = oR + gi * H;
        for (let k = 0; k < H; k++) {
          grad[row + k] = (grad[row + k] as number) + d * (hs[t * H + k] as number);
          dhPrev[k] = (dhPrev[k] as number) + d * (p[row + k] as number);
        }
      }
      dh = dhPrev;
      dc = dcPrev;
    }
  }
  return loss / batch.length;
}

function shuffle(order: number[], rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
}

function meanLoss(p: Float64Array, H: number, F: number, samples: readonly NormalizedSample[], lossKind: LstmLoss): number {
  if (samples.length === 0) return NaN;
  const scratch = new Float64Array(p.length);
  return batchLossAndGradient(p, H, F, samples, scratch, lossKind);
}

/**
 * Trains an LSTM forecaster with backpropagation through time and Adam on windowed samples
 * (see `makeWindows`; pass means there when `features` includes "mean"), deterministically by
 * `seed`. The last `validationFraction` of the samples (in time order) are held out; the weights of
 * the best validation epoch are returned.
 */
export function trainLstm(data: WindowSamples, options: LstmTrainOptions): LstmTrainResult {
  const { inputs, targets } = data;
  if (inputs.length !== targets.length) throw new TrainingError(`inputs (${inputs.length}) and targets (${targets.length}) differ in length`);
  const features = options.features ?? ["peak"];
  if (features.includes("mean") && data.meanInputs?.length !== inputs.length) {
    throw new TrainingError('features include "mean" but the samples carry no meanInputs (pass means to makeWindows)');
  }
  const epochs = options.epochs ?? 8;
  const batchSize = options.batchSize ?? 64;
  const lr = options.learningRate ?? 0.003;
  const finalFraction = options.finalLearningRateFraction ?? 0.1;
  const clipNorm = options.clipNorm ?? 5;
  const lossKind = options.loss ?? "mape";
  const validationFraction = options.validationFraction ?? 0.1;
  const rng = createRng(options.seed);
  let normalization: LstmNormalization = { kind: "window-mean" };
  if ((options.normalization ?? "fixed") === "fixed") {
    let sum = 0;
    let count = 0;
    const series = features.includes("mean") ? [inputs, data.meanInputs as number[][]] : [inputs];
    for (const windows of series) {
      for (const input of windows) {
        for (const v of input) sum += v;
        count += input.length;
      }
    }
    normalization = { kind: "fixed", scaleRps: Math.max(1, count > 0 ? sum / count : 1) };
  }
  const init = initLstmWeights({ ...options, features, normalization }, rng);
  const windowBins = init.windowBins;
  const bad = inputs.findIndex((x, n) => x.length !== windowBins || (features.includes("mean") && data.meanInputs?.[n]?.length !== windowBins));
  if (bad >= 0) throw new TrainingError(`input ${bad} has ${inputs[bad]?.length} steps, expected windowBins=${windowBins}`);
  const samples = normalizeSamples(data, features, windowBins, normalization);
  const validationCount = Math.floor(samples.length * validationFraction);
  const train = samples.slice(0, samples.length - validationCount);
  const validation = samples.slice(samples.length - validationCount);
  if (train.length < batchSize) throw new TrainingError(`need at least batchSize=${batchSize} training samples, got ${train.length}`);

  const H = init.hiddenSize;
  const F = features.length;
  const p = flatten(init);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  const grad = new Float64Array(p.length);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  let best = { loss: Infinity, params: p.slice(), epoch: 0 };
  const trainLoss: number[] = [];
  const validationLoss: number[] = [];
  const order = train.map((_, i) => i);
  const batches = Math.floor(train.length / batchSize);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, rng);
    let epochLoss = 0;
    for (let bi = 0; bi < batches; bi++) {
      const batch = order.slice(bi * batchSize, (bi + 1) * batchSize).map((i) => train[i] as NormalizedSample);
      grad.fill(0);
      const loss = batchLossAndGradient(p, H, F, batch, grad, lossKind);
      if (!Number.isFinite(loss)) throw new TrainingError(`loss became ${loss} at epoch ${epoch}, batch ${bi + 1}: lower learningRate`);
      epochLoss += loss;
      let norm = 0;
      for (let k = 0; k < grad.length; k++) norm += (grad[k] as number) ** 2;
      norm = Math.sqrt(norm);
      const clip = norm > clipNorm ? clipNorm / norm : 1;
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const stepLr = lr * (1 - (1 - finalFraction) * ((step - 1) / (epochs * batches)));
      for (let k = 0; k < p.length; k++) {
        const gk = (grad[k] as number) * clip;
        m[k] = beta1 * (m[k] as number) + (1 - beta1) * gk;
        v[k] = beta2 * (v[k] as number) + (1 - beta2) * gk * gk;
        p[k] = (p[k] as number) - (stepLr * ((m[k] as number) / c1)) / (Math.sqrt((v[k] as number) / c2) + 1e-8);
      }
      const progress: LstmTrainProgress = { epoch, epochs, batch: bi + 1, batches, trainLoss: epochLoss / (bi + 1) };
      const lastValidation = validationLoss[validationLoss.length - 1];
      if (lastValidation !== undefined) progress.validationLoss = lastValidation;
      options.onProgress?.(progress);
    }
    trainLoss.push(epochLoss / batches);
    const vLoss = validation.length > 0 ? meanLoss(p, H, F, validation, lossKind) : epochLoss / batches;
    validationLoss.push(vLoss);
    if (vLoss < best.loss) best = { loss: vLoss, params: p.slice(), epoch };
  }
  const weights = unflatten(best.params, init);
  weights.training = {
    seed: options.seed,
    epochs,
    batchSize,
    learningRate: lr,
    finalLearningRateFraction: finalFraction,
    loss: lossKind,
    samples: samples.length,
    bestEpoch: best.epoch,
    trainLoss,
    validationLoss,
  };
  return { weights, trainLoss, validationLoss, bestEpoch: best.epoch };
}

/** Mean absolute percentage error of the LSTM on raw windows (actual floored at 1 RPS). Handy after training. */
export function lstmMape(weights: LstmWeights, data: WindowSamples): number {
  let sum = 0;
  data.targets.forEach((actual, n) => {
    sum += Math.abs(Math.max(0, lstmForward(weights, sampleWindow(data, n))) - actual) / Math.max(actual, 1);
  });
  return sum / data.targets.length;
}
