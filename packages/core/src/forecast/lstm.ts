import type { Rng } from "../rng/index.js";
import { LstmWeightsError } from "./errors.js";
import type { Forecaster } from "./forecasters.js";

/**
 * Per-bin input features. "peak" is the bin's highest per-second RPS (IPA's only input); "mean" is
 * its mean RPS, a far less noisy estimate of the underlying rate.
 */
export const LSTM_FEATURES = ["peak", "mean"] as const;
/** One per-bin input feature; see {@link LSTM_FEATURES}. */
export type LstmFeature = (typeof LSTM_FEATURES)[number];

/**
 * A trained single-layer LSTM forecaster as a plain JSON-able object: `LSTM(hiddenSize)` over the
 * last `windowBins` bins (one value per feature per step) → dense → peak of the next `horizonBins`
 * bins. Gate order and layout follow the ONNX `LSTM` operator (i, o, f, c; default activations
 * sigmoid/tanh/tanh), so export is a copy.
 *
 * Inputs are divided by a scale (see {@link LstmNormalization}) and the output multiplied back.
 */
export interface LstmWeights {
  format: "fulcrum-lstm";
  version: 1;
  /** Units in the hidden state. IPA uses 25. */
  hiddenSize: number;
  /** Steps of history the model reads (bins). IPA uses 12. */
  windowBins: number;
  /** Bins the forecast peak covers. IPA uses 2 (20 s). */
  horizonBins: number;
  /** Seconds per bin. IPA uses 10. */
  binS: number;
  /** Features per step, in input order. IPA uses ["peak"]. */
  features: LstmFeature[];
  /** How inputs are scaled before the network and the output after it. */
  normalization: LstmNormalization;
  /** Input weights W, row-major [4·hiddenSize][features.length], gates i, o, f, c. */
  w: number[];
  /** Recurrent weights R, row-major [4·hiddenSize][hiddenSize]. */
  r: number[];
  /** Gate biases (ONNX Wb + Rb folded into one), length 4·hiddenSize. */
  b: number[];
  /** Dense head weights, length hiddenSize. */
  headW: number[];
  /** Dense head bias. */
  headB: number;
  /** Free-form provenance (seed, epochs, losses, trace) recorded by the trainer. */
  training?: Record<string, unknown>;
}

/**
 * Input scaling, required in every model file (a file without it is refused by
 * {@link parseLstmWeights}). "window-mean" divides each window's inputs by their own mean level —
 * max(mean of all the window's values, 1 RPS), the floor keeping near-idle windows from being blown
 * up — and multiplies the output back: the network predicts the ratio of the coming peak to the
 * window's level, so one model forecasts any load scale (the committed default is trained so).
 * "fixed" divides by one constant learned from the training trace: the network also sees the
 * absolute level, but inputs far above that scale saturate it and its forecast goes flat.
 */
export type LstmNormalization = { kind: "window-mean" } | { kind: "fixed"; scaleRps: number };

/** Shape of an LSTM to create or train. */
export interface LstmShape {
  /** @default 25 */
  hiddenSize?: number;
  /** @default 12 */
  windowBins?: number;
  /** @default 2 */
  horizonBins?: number;
  /** @default 10 */
  binS?: number;
  /** @default ["peak"] */
  features?: LstmFeature[];
  /** @default { kind: "window-mean" } */
  normalization?: LstmNormalization;
}

/** One input window: per-bin series, oldest first, each `windowBins` long. `means` is needed when the model uses it. */
export interface LstmWindow {
  peaks: ArrayLike<number>;
  means?: ArrayLike<number>;
}

/**
 * Flattens a window into step-major model input: [t0 f0, t0 f1, t1 f0, …] in `features` order.
 * Throws when a needed series is missing or too short.
 */
export function lstmInput(features: readonly LstmFeature[], windowBins: number, window: LstmWindow): Float64Array {
  const series = features.map((f) => (f === "peak" ? window.peaks : window.means));
  const out = new Float64Array(windowBins * features.length);
  series.forEach((s, fi) => {
    const name = features[fi] as LstmFeature;
    if (!s || s.length < windowBins) throw new LstmWeightsError("features", `input "${name}" needs ${windowBins} bins, got ${s?.length ?? 0}`);
    const offset = s.length - windowBins;
    for (let t = 0; t < windowBins; t++) out[t * features.length + fi] = s[offset + t] as number;
  });
  return out;
}

/**
 * Scale a flattened input is divided by (and the output multiplied by): the fixed scale, or the
 * mean of all its values floored at 1 RPS so near-idle windows are not blown up.
 */
export function inputScale(normalization: LstmNormalization, input: ArrayLike<number>): number {
  if (normalization.kind === "fixed") return normalization.scaleRps;
  let sum = 0;
  for (let i = 0; i < input.length; i++) sum += input[i] as number;
  return Math.max(sum / input.length, 1);
}

/** Glorot-style random weights; the forget-gate bias starts at 1 so early training keeps memory. */
export function initLstmWeights(shape: LstmShape, rng: Rng): LstmWeights {
  const hiddenSize = shape.hiddenSize ?? 25;
  const features = shape.features ?? ["peak"];
  const bound = 1 / Math.sqrt(hiddenSize);
  const u = (): number => (2 * rng.next() - 1) * bound;
  const b = new Array<number>(4 * hiddenSize).fill(0);
  for (let j = 0; j < hiddenSize; j++) b[2 * hiddenSize + j] = 1;
  return {
    format: "fulcrum-lstm",
    version: 1,
    hiddenSize,
    windowBins: shape.windowBins ?? 12,
    horizonBins: shape.horizonBins ?? 2,
    binS: shape.binS ?? 10,
    features: [...features],
    normalization: shape.normalization ?? { kind: "window-mean" },
    w: Array.from({ length: 4 * hiddenSize * features.length }, u),
    r: Array.from({ length: 4 * hiddenSize * hiddenSize }, u),
    b,
    headW: Array.from({ length: hiddenSize }, u),
    headB: 1,
  };
}

function finiteArray(path: string, v: unknown, length: number): void {
  if (!Array.isArray(v)) throw new LstmWeightsError(path, "must be an array of numbers");
  if (v.length !== length) throw new LstmWeightsError(path, `must have ${length} numbers, got ${v.length}`);
  const bad = v.findIndex((x) => typeof x !== "number" || !Number.isFinite(x));
  if (bad >= 0) throw new LstmWeightsError(`${path}[${bad}]`, "must be a finite number");
}

function positiveInt(path: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new LstmWeightsError(path, `must be an integer >= 1, got ${String(v)}`);
  return v;
}

/** Validates parsed JSON as {@link LstmWeights}; throws {@link LstmWeightsError} naming the first bad field. */
export function parseLstmWeights(json: unknown): LstmWeights {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new LstmWeightsError("", "must be an object");
  const o = json as Record<string, unknown>;
  if (o.format !== "fulcrum-lstm") throw new LstmWeightsError("format", `must be "fulcrum-lstm", got ${JSON.stringify(o.format)}`);
  if (o.version !== 1) throw new LstmWeightsError("version", `must be 1, got ${JSON.stringify(o.version)}`);
  const h = positiveInt("hiddenSize", o.hiddenSize);
  positiveInt("windowBins", o.windowBins);
  positiveInt("horizonBins", o.horizonBins);
  positiveInt("binS", o.binS);
  const features = o.features;
  if (
    !Array.isArray(features) ||
    features.length === 0 ||
    !features.every((f) => (LSTM_FEATURES as readonly unknown[]).includes(f)) ||
    new Set(features).size !== features.length
  ) {
    throw new LstmWeightsError("features", `must be a non-empty list of distinct ${LSTM_FEATURES.map((f) => `"${f}"`).join(" | ")}`);
  }
  const n = o.normalization as Record<string, unknown> | undefined;
  if (n === undefined) {
    // Refused rather than guessed: the right input scale depends on the trace the model learned from.
    throw new LstmWeightsError(
      "normalization",
      'is missing: the model does not say how its inputs were scaled, so its forecasts would be at the wrong scale; retrain it with `fulcrum predictor train` (which writes { kind: "window-mean" }) or add { kind: "fixed", scaleRps } with the scale it was trained at',
    );
  }
  if (typeof n !== "object" || n === null || (n.kind !== "window-mean" && n.kind !== "fixed")) {
    throw new LstmWeightsError("normalization", 'must be { kind: "window-mean" } or { kind: "fixed", scaleRps }');
  }
  if (n.kind === "fixed" && !(typeof n.scaleRps === "number" && n.scaleRps > 0 && Number.isFinite(n.scaleRps))) {
    throw new LstmWeightsError("normalization.scaleRps", `must be a finite number > 0, got ${String(n.scaleRps)}`);
  }
  finiteArray("w", o.w, 4 * h * features.length);
  finiteArray("r", o.r, 4 * h * h);
  finiteArray("b", o.b, 4 * h);
  finiteArray("headW", o.headW, h);
  if (typeof o.headB !== "number" || !Number.isFinite(o.headB)) throw new LstmWeightsError("headB", "must be a finite number");
  if (o.training !== undefined && (typeof o.training !== "object" || o.training === null)) {
    throw new LstmWeightsError("training", "must be an object when present");
  }
  return o as unknown as LstmWeights;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The network's raw output for an already-scaled, step-major flattened input (see
 * {@link lstmInput}); no rescaling, no clamping: what the exported graph's LSTM + dense head compute.
 */
export function lstmForwardNormalized(weights: LstmWeights, xs: ArrayLike<number>): number {
  const H = weights.hiddenSize;
  const F = weights.features.length;
  const T = xs.length / F;
  const { w, r, b } = weights;
  let hPrev = new Float64Array(H);
  const c = new Float64Array(H);
  const a = new Float64Array(4 * H);
  for (let t = 0; t < T; t++) {
    for (let g = 0; g < 4 * H; g++) {
      let s = b[g] as number;
      for (let f = 0; f < F; f++) s += (w[g * F + f] as number) * (xs[t * F + f] as number);
      const row = g * H;
      for (let k = 0; k < H; k++) s += (r[row + k] as number) * (hPrev[k] as number);
      a[g] = s;
    }
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const i = sigmoid(a[j] as number);
      const o = sigmoid(a[H + j] as number);
      const f = sigmoid(a[2 * H + j] as number);
      const g = Math.tanh(a[3 * H + j] as number);
      c[j] = f * (c[j] as number) + i * g;
      h[j] = o * Math.tanh(c[j] as number);
    }
    hPrev = h;
  }
  let y = weights.headB;
  for (let j = 0; j < H; j++) y += (weights.headW[j] as number) * (hPrev[j] as number);
  return y;
}

/**
 * Forecast in RPS from the last `windowBins` bins (oldest first): flatten, divide by
 * {@link inputScale}, run the network, scale back. Not clamped; see {@link lstmForecaster}.
 */
export function lstmForward(weights: LstmWeights, window: LstmWindow): number {
  const input = lstmInput(weights.features, weights.windowBins, window);
  const scale = inputScale(weights.normalization, input);
  for (let i = 0; i < input.length; i++) input[i] = (input[i] as number) / scale;
  return lstmForwardNormalized(weights, input) * scale;
}

/** The LSTM as a {@link Forecaster} named "lstm": reads the last `windowBins` bins, forecasts ≥ 0. */
export function lstmForecaster(weights: LstmWeights): Forecaster {
  return {
    name: "lstm",
    minHistoryBins: weights.windowBins,
    predict: (peaks, _horizonBins, means) => Math.max(0, lstmForward(weights, means === undefined ? { peaks } : { peaks, means })),
  };
}
