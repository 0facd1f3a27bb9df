import { describe, expect, it } from "vitest";
import { createRng, poisson } from "../rng/index.js";
import { evaluateForecasters } from "./evaluate.js";
import { ewmaForecaster, lastValueForecaster, movingMaxForecaster } from "./forecasters.js";
import { compileMarginOptions } from "./margin.js";

describe("evaluateForecasters", () => {
  it("scores an exact forecaster perfectly and a lagging one by its real error", () => {
    const peaks = Array.from({ length: 50 }, (_, t) => 10 + t);
    const scores = evaluateForecasters(peaks, [lastValueForecaster()], { horizonBins: 1, fromBin: 10, historyBins: 5, margin: compileMarginOptions() });
    const s = scores["last-value"];
    // Forecast t−1's value for t: always 1 RPS low.
    const expected = Array.from({ length: 40 }, (_, i) => 1 / (20 + i)).reduce((a, b) => a + b, 0) / 40;
    expect(s?.mape).toBeCloseTo(expected, 12);
    expect(s?.pointUnderPredictionRate).toBe(1);
    expect(s?.intervals).toBe(40);
  });

  it("keeps under-prediction with the conformal margin near the configured rate on a noisy series", () => {
    const rng = createRng(3);
    const peaks = Array.from({ length: 6000 }, () => poisson(rng, 30));
    const margin = compileMarginOptions({ underPredictionRate: 0.05 });
    const scores = evaluateForecasters(peaks, [ewmaForecaster(10), movingMaxForecaster(12)], { horizonBins: 2, fromBin: 12, historyBins: 64, margin });
    for (const s of Object.values(scores)) {
      expect(s.underPredictionRate).toBeLessThan(0.08);
      expect(s.underPredictionRate).toBeLessThan(s.pointUnderPredictionRate);
    }
  });
});
