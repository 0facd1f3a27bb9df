import { describe, expect, it } from "vitest";
import { createRng } from "../rng/index.js";
import { LstmWeightsError } from "./errors.js";
import { initLstmWeights, inputScale, lstmInput, lstmForecaster, lstmForward, lstmForwardNormalized, parseLstmWeights } from "./lstm.js";

describe("LSTM forward pass", () => {
  const weights = initLstmWeights({ hiddenSize: 4, windowBins: 3 }, createRng(2));

  it("round-trips through JSON and validates", () => {
    const copy = parseLstmWeights(JSON.parse(JSON.stringify(weights)));
    expect(lstmForward(copy, { peaks: [3, 4, 5] })).toBe(lstmForward(weights, { peaks: [3, 4, 5] }));
  });

  it("scales by the window mean, or by a fixed scale", () => {
    expect(inputScale({ kind: "window-mean" }, [2, 4, 6])).toBe(4);
    expect(lstmInput(["peak", "mean"], 2, { peaks: [9, 1, 2], means: [8, 3, 4] })).toEqual(Float64Array.from([1, 3, 2, 4]));
    expect(() => lstmInput(["peak", "mean"], 2, { peaks: [1, 2] })).toThrow('input "mean" needs 2 bins, got 0');
    expect(inputScale({ kind: "window-mean" }, [0, 0, 0.3])).toBe(1);
    expect(inputScale({ kind: "fixed", scaleRps: 20 }, [2, 4, 6])).toBe(20);
    // Window-mean scaling makes the forecast proportional to the load level.
    expect(lstmForward(weights, { peaks: [20, 40, 60] })).toBeCloseTo(10 * lstmForward(weights, { peaks: [2, 4, 6] }), 9);
    const fixed = { ...weights, normalization: { kind: "fixed" as const, scaleRps: 20 } };
    expect(lstmForward(fixed, { peaks: [2, 4, 6] })).toBeCloseTo(20 * lstmForwardNormalized(fixed, [0.1, 0.2, 0.3]), 12);
  });

  it("the forecaster reads the last windowBins peaks and never forecasts below 0", () => {
    const f = lstmForecaster({ ...weights, headB: -100 });
    expect(f.minHistoryBins).toBe(3);
    expect(f.predict([9, 9, 3, 4, 5], 2)).toBe(0);
    expect(lstmForecaster(weights).predict([9, 9, 3, 4, 5], 2)).toBe(Math.max(0, lstmForward(weights, { peaks: [3, 4, 5] })));
  });

  it("window-mean: one model at any scale (forecast × k for inputs × k), finite on idle windows", () => {
    const model = { ...weights, features: ["peak", "mean"] as ("peak" | "mean")[], w: initLstmWeights({ hiddenSize: 4, windowBins: 3, features: ["peak", "mean"] }, createRng(3)).w };
    const window = { peaks: [30, 45, 41], means: [22, 30, 33] };
    const base = lstmForward(model, window);
    for (const k of [1 / 8, 8, 100]) {
      expect(lstmForward(model, { peaks: window.peaks.map((v) => v * k), means: window.means.map((v) => v * k) })).toBeCloseTo(k * base, 9);
    }
    // Below 1 RPS the scale is floored: no division by zero, no blow-up of a near-idle window.
    expect(lstmForward(model, { peaks: [0, 0, 0], means: [0, 0, 0] })).toBe(lstmForwardNormalized(model, [0, 0, 0, 0, 0, 0]));
    expect(Number.isFinite(lstmForward(model, { peaks: [0, 1e-9, 0], means: [0, 1e-10, 0] }))).toBe(true);
  });

  it("refuses a model without its normalization, saying why", () => {
    const { normalization: _dropped, ...old } = weights;
    expect(() => parseLstmWeights(old)).toThrow(/normalization.*is missing: the model does not say how its inputs were scaled/);
    expect(() => parseLstmWeights({ ...weights, version: 2 })).toThrow("version");
  });

  it.each([
    [{ format: "other" }, "format"],
    [{ r: [1, 2] }, "r"],
    [{ w: [...weights.w.slice(1), Number.NaN] }, "w"],
    [{ normalization: { kind: "fixed", scaleRps: 0 } }, "normalization.scaleRps"],
    [{ hiddenSize: 0 }, "hiddenSize"],
  ])("rejects a bad field naming it: %j", (patch, path) => {
    try {
      parseLstmWeights({ ...weights, ...patch });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LstmWeightsError);
      expect((err as LstmWeightsError).path.startsWith(path)).toBe(true);
    }
  });
});
