import { beforeAll, describe, expect, it } from "vitest";
import { loadFashionMnist } from "../data/fashion-mnist.js";
import type { FashionMnist } from "../data/fashion-mnist.js";
import { FASHION_ARCHITECTURES, planArchitecture } from "../families/fashion-architectures.js";
import { createTrainingStep, initialFashionWeights, trainFashionVariant } from "./trainer.js";

let data: FashionMnist;
beforeAll(() => {
  data = loadFashionMnist();
});

function l2(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

const sampleIndices = Array.from({ length: 32 }, (_, i) => i * 7);

describe("training-step graph", () => {
  it.each(FASHION_ARCHITECTURES.map((a) => [a.variant, a] as const))(
    "%s: gradients agree with a directional finite difference of the loss for every parameter tensor",
    async (_variant, arch) => {
      const base = initialFashionWeights(arch, 3);
      // Non-zero biases so that their gradients are exercised away from the initial point.
      for (const [name, w] of base) if (name.endsWith("_b")) w.forEach((_, i) => (w[i] = 0.01 * Math.sin(i + 1)));
      const step = await createTrainingStep(arch, new Map(base), { momentum: 0, emitGradients: true });
      const lossAt = async (weights: Map<string, Float32Array>): Promise<number> => {
        for (const [k, v] of weights) step.weights.set(k, v);
        return (await step.run(data.train, sampleIndices, 0)).loss;
      };
      try {
        const { gradients } = await step.run(data.train, sampleIndices, 0);
        for (const p of planArchitecture(arch).params) {
          const grad = gradients.get(p.name) as Float32Array;
          const norm = l2(grad);
          expect(norm, `${p.name} gradient is zero`).toBeGreaterThan(0);
          // Step along the normalised gradient; the directional derivative there equals |g|.
          const eps = 1e-3;
          const shifted = (sign: number): Map<string, Float32Array> => {
            const w = base.get(p.name) as Float32Array;
            return new Map(base).set(p.name, w.map((v, i) => v + (sign * eps * (grad[i] as number)) / norm));
          };
          const numeric = ((await lossAt(shifted(1))) - (await lossAt(shifted(-1)))) / (2 * eps);
          expect(Math.abs(numeric - norm) / norm, `${p.name}: numeric ${numeric} vs analytic ${norm}`).toBeLessThan(0.02);
        }
      } finally {
        await step.release();
      }
    },
  );

  it("moving against the reported gradient lowers the loss", async () => {
    const arch = FASHION_ARCHITECTURES[1];
    if (!arch) throw new Error("no mlp");
    const base = initialFashionWeights(arch, 3);
    const step = await createTrainingStep(arch, new Map(base), { momentum: 0, emitGradients: true });
    try {
      const { loss, gradients } = await step.run(data.train, sampleIndices, 0);
      const grad = gradients.get("p0_w") as Float32Array;
      const norm = l2(grad);
      const eps = 1e-2;
      step.weights.set("p0_w", (base.get("p0_w") as Float32Array).map((v, i) => v - (eps * (grad[i] as number)) / norm));
      const lower = (await step.run(data.train, sampleIndices, 0)).loss;
      expect(lower).toBeLessThan(loss);
    } finally {
      await step.release();
    }
  });
});

describe("trainFashionVariant", () => {
  it("is deterministic for a seed and learns well above chance on a small subset", async () => {
    const options = { variant: "mlp", seed: 11, epochs: 1, trainLimit: 1280 } as const;
    const losses: number[] = [];
    const a = await trainFashionVariant({ ...options, data, onProgress: (p) => losses.push(p.loss) });
    const b = await trainFashionVariant({ ...options, data });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.manifest.sha256).toBe(b.manifest.sha256);
    expect(a.manifest.accuracySource).toBe("measured");
    expect(a.manifest.training?.testSamples).toBe(10_000);
    expect(a.manifest.accuracy).toBeGreaterThan(0.6);
    expect(losses).toHaveLength(20);
    expect((losses.at(-1) as number) < (losses[0] as number)).toBe(true);
    const c = await trainFashionVariant({ ...options, seed: 12, data });
    expect(c.manifest.sha256).not.toBe(a.manifest.sha256);
  });

  it("rejects an unknown variant and a subset smaller than one batch", async () => {
    await expect(trainFashionVariant({ variant: "transformer", seed: 1, data })).rejects.toThrow(/"transformer" is not a fashion variant/);
    await expect(trainFashionVariant({ variant: "linear", seed: 1, data, trainLimit: 10 })).rejects.toThrow(/10 samples do not fill one batch of 64/);
  });
});
