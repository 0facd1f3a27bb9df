import { describe, expect, it } from "vitest";
import { ForecastConfigError } from "./errors.js";
import { ewmaForecaster, holtForecaster, lastValueForecaster, movingMaxForecaster, seasonalNaiveForecaster } from "./forecasters.js";
import { binPeaks, futurePeak, interleaveWindows, makeWindows, secondsToBins } from "./windowing.js";

describe("simple forecasters", () => {
  it("last value and moving max", () => {
    expect(lastValueForecaster().predict([3, 9, 4], 2)).toBe(4);
    expect(movingMaxForecaster(2).predict([9, 3, 4], 2)).toBe(4);
    expect(movingMaxForecaster(3).predict([9, 3, 4], 2)).toBe(9);
  });

  it("EWMA weights recent bins by alpha = 2/(span+1)", () => {
    // span 3 → alpha 0.5: 10 → 15 → 7.5
    expect(ewmaForecaster(3).predict([10, 20, 0], 1)).toBeCloseTo(7.5, 12);
    expect(ewmaForecaster(3, 2).predict([1000, 20, 0], 1)).toBeCloseTo(10, 12);
  });

  it("Holt follows a linear ramp and forecasts its end over the horizon", () => {
    const ramp = Array.from({ length: 40 }, (_, t) => 10 + 2 * t);
    expect(holtForecaster(0.5, 0.3).predict(ramp, 2)).toBeCloseTo(10 + 2 * 41, 3);
    const fall = Array.from({ length: 40 }, (_, t) => 100 - 2 * t);
    expect(holtForecaster(0.5, 0.3).predict(fall, 2)).toBeCloseTo(100 - 2 * 40, 3);
  });

  it("seasonal naive returns last season's peak over the horizon", () => {
    const f = seasonalNaiveForecaster(4);
    expect(f.minHistoryBins).toBe(4);
    expect(f.predict([1, 5, 2, 3, 9, 9, 9, 9], 2)).toBe(9);
    expect(f.predict([7, 1, 5, 2, 3, 0, 8, 8], 2)).toBe(3);
  });

  it("rejects bad options naming them", () => {
    expect(() => movingMaxForecaster(0)).toThrow(ForecastConfigError);
    expect(() => holtForecaster(1.5)).toThrow(/alpha/);
    expect(() => seasonalNaiveForecaster(2.5)).toThrow(/seasonBins/);
  });
});

describe("windowing", () => {
  it("bins per-second RPS into peaks and drops the incomplete tail", () => {
    expect(binPeaks([1, 5, 2, 7, 3, 3, 9], 3)).toEqual([5, 7]);
  });

  it("builds (window → next-horizon peak) samples", () => {
    expect(makeWindows([1, 2, 3, 4, 5, 6], 3, 2)).toEqual({ inputs: [[1, 2, 3], [2, 3, 4]], targets: [5, 6] });
    expect(makeWindows([1, 2, 3, 4, 5, 6, 7], 3, 2, 2)).toEqual({ inputs: [[1, 2, 3], [3, 4, 5]], targets: [5, 7] });
    expect(futurePeak([1, 9, 2], 1, 2)).toBe(9);
  });

  it("interleaves window sets in turn, keeping each set's time order, and means only when all have them", () => {
    const a = makeWindows([1, 2, 3, 4, 5, 6], 3, 2, 1, [1, 1, 1, 1, 1, 1]);
    const b = makeWindows([10, 20, 30, 40, 50, 60, 70], 3, 2, 1, [9, 9, 9, 9, 9, 9, 9]);
    const both = interleaveWindows([a, b]);
    expect(both.targets).toEqual([5, 50, 6, 60, 70]);
    expect(both.inputs[4]).toEqual([30, 40, 50]);
    expect(both.meanInputs?.[1]).toEqual([9, 9, 9]);
    expect(interleaveWindows([a, makeWindows([1, 2, 3, 4, 5], 3, 2)]).meanInputs).toBeUndefined();
  });

  it("converts seconds to whole bins", () => {
    expect(secondsToBins("horizonS", 20, 10)).toBe(2);
    expect(() => secondsToBins("horizonS", 25, 10)).toThrow("horizonS: must be a positive multiple of binS=10 s, got 25 s");
  });
});
