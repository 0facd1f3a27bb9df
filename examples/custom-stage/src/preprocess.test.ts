import { describe, expect, it } from "vitest";
import { preprocessBatch, resizeBilinear, toGray } from "./preprocess.js";

describe("preprocessing", () => {
  it("converts RGB to BT.601 luma and keeps grayscale as is", () => {
    expect([...toGray({ data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), height: 2, width: 2, channels: 3 })].map((v) => +v.toFixed(3))).toEqual([
      76.245, 149.685, 29.07, 0.299 * 10 + 0.587 * 20 + 0.114 * 30,
    ].map((v) => +v.toFixed(3)));
    expect([...toGray({ data: new Uint8Array([7, 9]), height: 1, width: 2, channels: 1 })]).toEqual([7, 9]);
  });

  it("resizes bilinearly with half-pixel centres", () => {
    // 2×2 → 4×4: the corner pixels keep their values (clamped), the middle ones interpolate at ¼ and ¾.
    const src = new Float32Array([0, 100, 200, 300]);
    const out = resizeBilinear(src, 2, 2, 4, 4);
    expect([...out.subarray(0, 4)]).toEqual([0, 25, 75, 100]);
    expect([...out.subarray(12, 16)]).toEqual([200, 225, 275, 300]);
    // (y, x) = (1, 1) samples (¼, ¼): 0.75·(0.75·0 + 0.25·100) + 0.25·(0.75·200 + 0.25·300) = 75.
    expect(out[5]).toBeCloseTo(75, 5);
    // Same size is the identity; 4×4 → 2×2 averages each 2×2 block.
    expect([...resizeBilinear(src, 2, 2, 2, 2)]).toEqual([0, 100, 200, 300]);
    const big = new Float32Array(Array.from({ length: 16 }, (_, i) => i));
    expect([...resizeBilinear(big, 4, 4, 2, 2)]).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it("turns a batch of RGB images into [N,1,S,S] floats in [0,1]", () => {
    const h = 3;
    const w = 5;
    const white = new Uint8Array(h * w * 3).fill(255);
    const black = new Uint8Array(h * w * 3);
    const out = preprocessBatch(new Uint8Array([...white, ...black]), 2, h, w, 3, 28);
    expect(out).toHaveLength(2 * 28 * 28);
    expect(out.subarray(0, 784).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    expect(out.subarray(784).every((v) => v === 0)).toBe(true);
  });
});
