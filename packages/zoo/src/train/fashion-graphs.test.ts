import { describe, expect, it } from "vitest";
import { FASHION_RESOLUTION, applyView, fashionArchitecture } from "../families/fashion-architectures.js";
import type { FashionArchitecture } from "../families/fashion-architectures.js";
import { createZooSession, floatTensor } from "../ort/session.js";
import { buildFashionInferenceGraph } from "./fashion-graphs.js";
import { initialFashionWeights } from "./trainer.js";

const SIDE = FASHION_RESOLUTION;

function images(n: number): Float32Array {
  return Float32Array.from({ length: n * SIDE * SIDE }, (_, i) => (Math.sin(i * 0.13) + Math.cos(i * 0.029)) / 4 + 0.5);
}

describe("test-time augmentation graph", () => {
  it("equals the log of the base model's softmax averaged over the same views applied in JS", async () => {
    const tta = fashionArchitecture("cnn-deep-tta") as FashionArchitecture;
    const base = fashionArchitecture(tta.base as string) as FashionArchitecture;
    const views = tta.views ?? [];
    expect(views.length).toBeGreaterThan(1);
    const weights = initialFashionWeights(base, 4);
    const ttaSession = await createZooSession(buildFashionInferenceGraph(tta, weights).bytes);
    const baseSession = await createZooSession(buildFashionInferenceGraph(base, weights).bytes);
    try {
      const n = 3;
      const x = images(n);
      const got = (await ttaSession.run({ input: floatTensor(x, [n, 1, SIDE, SIDE]) })).logits?.data as Float32Array;
      const mean = new Float64Array(n * 10);
      const scratch = new Float32Array(SIDE * SIDE);
      for (const view of views) {
        const viewed = Float32Array.from(x);
        for (let j = 0; j < n; j++) applyView(viewed, j, view, scratch);
        const logits = (await baseSession.run({ input: floatTensor(viewed, [n, 1, SIDE, SIDE]) })).logits?.data as Float32Array;
        for (let j = 0; j < n; j++) {
          const row = Array.from(logits.subarray(j * 10, j * 10 + 10));
          const max = Math.max(...row);
          const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
          row.forEach((v, k) => (mean[j * 10 + k] = (mean[j * 10 + k] as number) + Math.exp(v - max) / z / views.length));
        }
      }
      mean.forEach((m, i) => expect(got[i]).toBeCloseTo(Math.log(m), 4));
    } finally {
      await ttaSession.release();
      await baseSession.release();
    }
  });

  it("applyView flips then shifts with zero fill", () => {
    const x = Float32Array.from({ length: SIDE * SIDE }, (_, i) => (i % SIDE) + 1);
    const scratch = new Float32Array(SIDE * SIDE);
    const flipped = Float32Array.from(x);
    applyView(flipped, 0, { flip: true, dx: 0, dy: 0 }, scratch);
    expect(Array.from(flipped.subarray(0, 3))).toEqual([28, 27, 26]);
    const shifted = Float32Array.from(x);
    applyView(shifted, 0, { flip: false, dx: 1, dy: 1 }, scratch);
    expect(Array.from(shifted.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(shifted.subarray(SIDE, SIDE + 3))).toEqual([0, 1, 2]);
  });
});
