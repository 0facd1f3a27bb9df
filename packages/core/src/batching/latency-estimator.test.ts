import { describe, expect, it } from "vitest";
import { LatencyEstimator } from "./latency-estimator.js";

describe("LatencyEstimator", () => {
  it("uses the prior before observations, then EWMA per size", () => {
    const e = new LatencyEstimator(3, 0.5);
    expect(e.predict(4)).toBe(12);
    e.observe(2, 10);
    e.observe(2, 20);
    expect(e.predict(2)).toBe(15);
  });

  it("scales one observed size proportionally above it and never below it", () => {
    const e = new LatencyEstimator();
    e.observe(4, 8);
    expect(e.predict(8)).toBe(16);
    expect(e.predict(1)).toBe(8);
  });

  it("fits a line through several sizes, floored at the fastest observation", () => {
    const e = new LatencyEstimator();
    e.observe(1, 3);
    e.observe(8, 10);
    expect(e.predict(4)).toBeCloseTo(6, 6);
    expect(e.predict(16)).toBeCloseTo(18, 6);
    e.observe(1, Number.NaN);
    e.observe(0, 1);
    expect(e.observedSizes()).toEqual([1, 8]);
  });

  it("a new observation changes the next prediction (predictions are cached only between observations)", () => {
    const e = new LatencyEstimator(3, 0.5);
    expect(e.predict(2)).toBe(6);
    e.observe(2, 10);
    expect(e.predict(2)).toBe(10);
    expect(e.predict(4)).toBe(20);
    e.observe(2, 20);
    expect([e.predict(2), e.predict(4)]).toEqual([15, 30]);
    e.observe(2, Number.NaN);
    expect(e.predict(2)).toBe(15);
  });
  it("forget() returns predictions to the prior until the next observation", () => {
    const e = new LatencyEstimator(5);
    e.observe(1, 400);
    e.observe(8, 900);
    expect(e.predict(1)).toBe(400);
    e.forget();
    expect(e.predict(1)).toBe(5);
    expect(e.predict(4)).toBe(20);
    expect(e.observedSizes()).toEqual([]);
    e.observe(1, 12);
    expect(e.predict(1)).toBe(12);
  });
});
