import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRng, normal } from "../rng/index.js";
import { bestForecaster, recordError, rollingMape } from "./error-tracker.js";
import { compileMarginOptions, conformalQuantile, relativeResidual, upperBound } from "./margin.js";

describe("conformal margin", () => {
  it("takes the ⌈(n+1)(1−α)⌉-th smallest residual", () => {
    const r = Array.from({ length: 19 }, (_, i) => i + 1); // 1..19
    expect(conformalQuantile(r, 0.1)).toBe(18);
    expect(conformalQuantile(r, 0.01)).toBe(19);
  });

  it("bounds the fraction of exceedances by α on exchangeable residuals", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom(0.05, 0.1, 0.2), (seed, alpha) => {
        const rng = createRng(seed);
        const options = compileMarginOptions({ underPredictionRate: alpha, minResiduals: 50 });
        const residuals: number[] = [];
        let under = 0;
        const trials = 2000;
        for (let i = 0; i < trials; i++) {
          const point = 20;
          const actual = point * (1 + 0.2 * normal(rng));
          if (residuals.length >= 200 && actual > upperBound(point, residuals.slice(-200), options)) under++;
          residuals.push(relativeResidual(actual, point));
        }
        // Finite-sample slack: the guarantee is in expectation.
        return under / (trials - 200) <= alpha + 0.03;
      }),
      { numRuns: 10 },
    );
  });

  it("uses the default fraction until enough residuals, and never bounds below the point", () => {
    const options = compileMarginOptions({ minResiduals: 3, defaultFraction: 0.2 });
    expect(upperBound(10, [0.5], options)).toBeCloseTo(12, 12);
    expect(upperBound(10, [-0.5, -0.4, -0.3], options)).toBe(10);
    expect(upperBound(0.5, [1, 1, 1], options)).toBeCloseTo(1.5, 12); // relative to max(point, 1 RPS)
    expect(() => compileMarginOptions({ underPredictionRate: 1 })).toThrow(/underPredictionRate/);
  });
});

describe("rolling error tracking", () => {
  it("keeps a bounded window and picks the lowest rolling MAPE among forecasters with enough errors", () => {
    let table = {};
    for (let i = 0; i < 10; i++) {
      table = recordError(table, "a", 10, 11, 5); // 10% off
      table = recordError(table, "b", 10, 10.5, 5); // 5% off
    }
    table = recordError(table, "c", 10, 10, 5); // perfect but only one error
    expect((table as Record<string, { ape: number[] }>).a?.ape).toHaveLength(5);
    expect(rollingMape((table as Record<string, never>).a)).toBeCloseTo(0.1, 12);
    expect(bestForecaster(table, ["a", "b", "c"], 3)).toBe("b");
    expect(bestForecaster(table, ["a", "b", "c"], 1)).toBe("c");
    expect(bestForecaster(table, ["a", "b"], 11)).toBeUndefined();
  });
});
