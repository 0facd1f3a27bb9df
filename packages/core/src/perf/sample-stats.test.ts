import { describe, expect, it } from "vitest";
import { isMedianStable, summarizeLatencies } from "./sample-stats.js";

describe("summarizeLatencies", () => {
  it("computes type-7 quantiles and the mean", () => {
    const s = summarizeLatencies(Array.from({ length: 101 }, (_, i) => 100 - i));
    expect(s).toEqual({ samples: 101, p50Ms: 50, p95Ms: 95, p99Ms: 99, meanMs: 50 });
  });

  it("rejects empty and non-finite samples", () => {
    expect(() => summarizeLatencies([])).toThrow("zero latency samples");
    expect(() => summarizeLatencies([1, Number.NaN])).toThrow("finite number");
  });
});

describe("isMedianStable", () => {
  const rule = { minSamples: 6, window: 3, relTol: 0.02 };

  it("waits for the minimum sample count", () => {
    expect(isMedianStable([10, 10, 10, 10, 10], rule)).toBe(false);
    expect(isMedianStable([10, 10, 10, 10, 10, 10], rule)).toBe(true);
  });

  it("is not fooled by one preempted batch but sees a drifting median", () => {
    expect(isMedianStable([10, 10.1, 9.9, 10, 10, 80], rule)).toBe(true);
    expect(isMedianStable([10, 11, 12, 13, 14, 15, 16], rule)).toBe(false);
  });
});
