import { describe, expect, it } from "vitest";
import { StepIntegrator } from "./series.js";

describe("StepIntegrator", () => {
  it("integrates a step function exactly into seconds and overall, up to its horizon", () => {
    const s = new StepIntegrator(2, 3000);
    s.set(4, 1500);
    s.add(-4, 2500);
    s.set(10, 3500); // after the horizon: not the run's
    expect(s.meanUntil(3000)).toBeCloseTo((2 * 1500 + 4 * 1000) / 3000, 12);
    expect(s.secondAverages(3)).toEqual([2, 3, 2]);
    expect(s.current).toBe(10);
  });
});
