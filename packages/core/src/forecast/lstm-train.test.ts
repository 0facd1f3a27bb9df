import { describe, expect, it } from "vitest";
import { createRng } from "../rng/index.js";
import { initLstmWeights, lstmForwardNormalized } from "./lstm.js";
import type { NormalizedSample } from "./lstm-train.js";
import { lstmBatchLossAndGradient, lstmParameterCount, trainLstm } from "./lstm-train.js";

function batchLoss(weights: ReturnType<typeof initLstmWeights>, batch: NormalizedSample[]): number {
  return batch.reduce((s, b) => s + (lstmForwardNormalized(weights, b.xs) - b.target) ** 2, 0) / batch.length;
}

describe("LSTM backpropagation through time", () => {
  it.each([[["peak"]], [["peak", "mean"]]] as const)("matches central finite differences for every parameter (gradient check, features %j)", (features) => {
    const rng = createRng(42);
    const weights = initLstmWeights({ hiddenSize: 3, windowBins: 5, features: [...features] }, rng);
    // Random non-zero biases so no gate sits at a symmetric point.
    weights.b = weights.b.map(() => rng.next() - 0.5);
    const batch: NormalizedSample[] = Array.from({ length: 3 }, () => ({
      xs: Float64Array.from({ length: 5 * features.length }, () => 0.5 + rng.next()),
      target: 0.5 + rng.next(),
    }));
    const grad = new Float64Array(lstmParameterCount(3, features.length));
    const loss = lstmBatchLossAndGradient(weights, batch, grad);
    expect(loss).toBeCloseTo(batchLoss(weights, batch), 12);

    const fields = ["w", "r", "b", "headW"] as const;
    let offset = 0;
    const eps = 1e-6;
    let worst = 0;
    for (const field of fields) {
      const values = weights[field];
      for (let k = 0; k < values.length; k++) {
        const original = values[k] as number;
        values[k] = original + eps;
        const up = batchLoss(weights, batch);
        values[k] = original - eps;
        const down = batchLoss(weights, batch);
        values[k] = original;
        const numeric = (up - down) / (2 * eps);
        const analytic = grad[offset + k] as number;
        worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(1e-6, Math.abs(numeric) + Math.abs(analytic)));
      }
      offset += values.length;
    }
    const headB = weights.headB;
    weights.headB = headB + eps;
    const up = batchLoss(weights, batch);
    weights.headB = headB - eps;
    const down = batchLoss(weights, batch);
    weights.headB = headB;
    expect(grad[offset]).toBeCloseTo((up - down) / (2 * eps), 6);
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("trainLstm", () => {
  // A learnable toy task: the next peak continues the window's linear trend.
  const rng = createRng(9);
  const inputs: number[][] = [];
  const targets: number[] = [];
  for (let n = 0; n < 1200; n++) {
    const level = 5 + 20 * rng.next();
    const slope = (rng.next() - 0.5) * 0.1 * level;
    inputs.push(Array.from({ length: 6 }, (_, t) => level + slope * t));
    targets.push(level + slope * 7);
  }
  const options = { seed: 3, hiddenSize: 6, windowBins: 6, epochs: 6, batchSize: 32, learningRate: 0.01, finalLearningRateFraction: 1 };

  it("is deterministic by seed", () => {
    const a = trainLstm({ inputs: inputs.slice(0, 300), targets: targets.slice(0, 300) }, { ...options, epochs: 2 });
    const b = trainLstm({ inputs: inputs.slice(0, 300), targets: targets.slice(0, 300) }, { ...options, epochs: 2 });
    expect(a.weights).toEqual(b.weights);
    const c = trainLstm({ inputs: inputs.slice(0, 300), targets: targets.slice(0, 300) }, { ...options, epochs: 2, seed: 4 });
    expect(c.weights.r).not.toEqual(a.weights.r);
  });

  it("learns: validation loss falls well below the first epoch's and progress is reported", () => {
    let calls = 0;
    const result = trainLstm({ inputs, targets }, { ...options, onProgress: () => calls++ });
    expect(calls).toBe(6 * Math.floor(1080 / 32));
    const first = result.validationLoss[0] as number;
    const best = Math.min(...result.validationLoss);
    expect(best).toBeLessThan(first * 0.5);
    expect(result.weights.training?.bestEpoch).toBe(result.bestEpoch);
  });

  it("rejects windows of the wrong length", () => {
    expect(() => trainLstm({ inputs: [[1, 2]], targets: [1] }, options)).toThrow(/expected windowBins=6/);
    expect(() => trainLstm({ inputs, targets }, { ...options, features: ["peak", "mean"] })).toThrow(/no meanInputs/);
  });
});

describe("trainLstm with peak and mean features", () => {
  it("uses the means: learns a target that only the means reveal", () => {
    // Peaks are pure noise around 20; the target is twice the last mean.
    const rng = createRng(12);
    const inputs: number[][] = [];
    const meanInputs: number[][] = [];
    const targets: number[] = [];
    for (let n = 0; n < 1500; n++) {
      const means = Array.from({ length: 4 }, () => 5 + 10 * rng.next());
      inputs.push(Array.from({ length: 4 }, () => 20 + rng.next()));
      meanInputs.push(means);
      targets.push(2 * (means[3] as number));
    }
    const options = { seed: 1, hiddenSize: 6, windowBins: 4, epochs: 8, batchSize: 32, learningRate: 0.01 };
    const withMeans = trainLstm({ inputs, meanInputs, targets }, { ...options, features: ["peak", "mean"] });
    const peaksOnly = trainLstm({ inputs, targets }, options);
    expect(withMeans.weights.features).toEqual(["peak", "mean"]);
    expect(Math.min(...withMeans.validationLoss)).toBeLessThan(0.5 * Math.min(...peaksOnly.validationLoss));
  });
});
