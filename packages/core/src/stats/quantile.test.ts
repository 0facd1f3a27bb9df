import { describe, expect, it } from "vitest";
import { quantile, quantileOr, sortedQuantile } from "./quantile.js";

describe("quantile (type 7)", () => {
  it("interpolates between order statistics as numpy does", () => {
    expect(quantile([1, 2], 0.25)).toBe(1.25);
    expect(quantile(Array.from({ length: 101 }, (_, i) => 100 - i), 0.99)).toBe(99);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(sortedQuantile([1, 2, 3, 4], 1)).toBe(4);
    expect(sortedQuantile([7], 0.3)).toBe(7);
  });
  it("rejects an empty sample and q outside [0, 1], naming what was wrong", () => {
    expect(() => quantile([], 0.5)).toThrow("sample: quantile of an empty sample");
    expect(() => quantile([1], 1.5)).toThrow("q: must be in [0, 1], got 1.5");
    expect(quantileOr([], 0.99)).toBe(0);
    expect(quantileOr([], 0.99, Number.NaN)).toBeNaN();
  });
});
