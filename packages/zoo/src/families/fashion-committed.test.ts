import { beforeAll, describe, expect, it } from "vitest";
import { loadFashionMnist } from "../data/fashion-mnist.js";
import type { FashionMnist } from "../data/fashion-mnist.js";
import { evaluateFashionModel } from "../eval/evaluate.js";
import { createZooSession, floatTensor } from "../ort/session.js";
import { resolveVariant } from "../resolve.js";
import type { ResolvedVariant } from "../resolve.js";
import { FASHION_VARIANTS } from "./fashion-architectures.js";

// The committed family lives in packages/zoo/models; generated families are not involved.
const resolve = (variant: string): ResolvedVariant => resolveVariant({ family: "fashion", variant, modelDir: "/nonexistent", verifySha256: true });

let data: FashionMnist;
beforeAll(() => {
  data = loadFashionMnist();
});

describe("committed fashion family", () => {
  it.each(FASHION_VARIANTS.map((v) => [v]))("%s reaches its manifest accuracy (±0.3 pp) on the 10k test split", async (variant) => {
    const { path, manifest } = resolve(variant);
    expect(manifest.accuracySource).toBe("measured");
    expect(manifest.training?.testSamples).toBe(10_000);
    const result = await evaluateFashionModel(path, data.test, { batchSize: 2000, intraOpThreads: 2 });
    expect(result.count).toBe(10_000);
    expect(Math.abs(result.accuracy - manifest.accuracy)).toBeLessThanOrEqual(0.003);
    // cnn-deep-tta evaluates 40k views of the split: ~15 s alone on this machine, more when shared.
  }, 180_000);

  it.each(FASHION_VARIANTS.map((v) => [v]))("%s runs batches 1 and 8 with finite logits of the declared shape", async (variant) => {
    const { path, manifest } = resolve(variant);
    const session = await createZooSession(path);
    try {
      for (const batch of [1, 8]) {
        const x = Float32Array.from({ length: batch * 784 }, (_, i) => (i % 255) / 255);
        const out = (await session.run({ input: floatTensor(x, [batch, 1, 28, 28]) })).logits;
        expect(out?.dims).toEqual(manifest.outputs[0]?.shape.map((d) => (d === "N" ? batch : d)));
        expect((out?.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
    } finally {
      await session.release();
    }
  });

  it("spans at least 4 percentage points of accuracy across at least four variants", () => {
    const accuracies = FASHION_VARIANTS.map((v) => resolve(v).manifest.accuracy);
    expect(accuracies.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...accuracies) - Math.min(...accuracies)).toBeGreaterThanOrEqual(0.04);
  });
});
