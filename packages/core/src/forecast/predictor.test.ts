import { describe, expect, it } from "vitest";
import { createRng } from "../rng/index.js";
import { ForecastConfigError } from "./errors.js";
import { initLstmWeights } from "./lstm.js";
import type { Forecast, PredictorConfig, PredictorState } from "./predictor.js";
import { compilePredictorConfig, initialPredictorState, predictorStep, predictorWindow } from "./predictor.js";

/** Feeds per-second samples starting at t=0 and ticks at the end of every bin; returns all forecasts. */
function run(config: PredictorConfig, rps: readonly number[], state: PredictorState = initialPredictorState()) {
  const forecasts: Forecast[] = [];
  rps.forEach((value, s) => {
    state = predictorStep(state, { kind: "sample", atMs: s * 1000, rps: value }, config, s * 1000).state;
    if ((s + 1) % config.binS === 0) {
      // The tick lands just after the bin's last second, once the next second's sample closed the bin
      // (re-feeding that second next iteration is harmless: a bin keeps its peak).
      if (s + 1 < rps.length) {
        state = predictorStep(state, { kind: "sample", atMs: (s + 1) * 1000, rps: rps[s + 1] as number }, config, (s + 1) * 1000).state;
      }
      const out = predictorStep(state, { kind: "tick" }, config, (s + 1) * 1000);
      state = out.state;
      if (out.forecast) forecasts.push(out.forecast);
    }
  });
  return { forecasts, state };
}

describe("predictorStep", () => {
  const config = compilePredictorConfig({ minErrorsForSelection: 5 });

  it("bins samples into 10-s peaks and produces nothing before a bin closes", () => {
    let state = initialPredictorState();
    for (let s = 0; s < 10; s++) state = predictorStep(state, { kind: "sample", atMs: s * 1000, rps: s === 3 ? 9 : 2 }, config, s * 1000).state;
    expect(predictorStep(state, { kind: "tick" }, config, 10_000).forecast).toBeUndefined();
    state = predictorStep(state, { kind: "sample", atMs: 10_000, rps: 1 }, config, 10_000).state;
    expect(state.history).toEqual([9]);
    expect(state.historyMeans[0]).toBeCloseTo(2.7, 12);
    expect(predictorWindow(state, 1)).toEqual({ peaks: [9], means: [state.historyMeans[0]] });
    expect(predictorWindow(state, 2)).toBeUndefined();
  });

  it("falls back to a reactive forecast with too little history, then serves the preferred forecaster", () => {
    const weights = initLstmWeights({}, createRng(1));
    const withLstm = compilePredictorConfig({ lstm: weights });
    const { forecasts } = run(withLstm, new Array(200).fill(10));
    expect(forecasts[0]).toMatchObject({ model: "reactive", fallback: true, pointRps: 10 });
    expect(forecasts[0]?.upperRps).toBeCloseTo(12, 9); // default 20% margin
    const later = forecasts.at(-1) as Forecast;
    expect(later.model).toBe("lstm");
    expect(later.fallback).toBe(false);
    expect(Object.keys(later.pointsRps).sort()).toEqual(["ewma", "holt", "last-value", "lstm", "moving-max"]);
  });

  it("learns which forecaster is best from resolved errors and serves it", () => {
    // Alternating bins: moving max (2 min) is exact for the next 20-s peak, last value is 50% off half the time.
    const rps: number[] = [];
    for (let bin = 0; bin < 120; bin++) for (let s = 0; s < 10; s++) rps.push(bin % 2 === 0 ? 20 : 10);
    const { forecasts, state } = run(config, rps);
    const last = forecasts.at(-1) as Forecast;
    expect(last.model).toBe("moving-max");
    expect(last.rollingMape).toBe(0);
    expect(last.upperRps).toBe(last.pointRps);
    expect(state.errors["last-value"]?.ape.length).toBeGreaterThan(5);
  });

  it("uses an externally computed point (e.g. ONNX Runtime) for the named forecaster", () => {
    const fixed = compilePredictorConfig({ serve: "ewma" });
    const { state } = run(fixed, new Array(50).fill(10));
    const out = predictorStep(state, { kind: "tick", externalPointsRps: { ewma: 42 } }, fixed, 60_000);
    expect(out.forecast).toMatchObject({ model: "ewma", pointRps: 42 });
  });

  it("ignores late samples, bridges short gaps and resets after long ones", () => {
    const { state } = run(config, new Array(100).fill(5));
    const late = predictorStep(state, { kind: "sample", atMs: 20_000, rps: 99 }, config, 101_000).state;
    expect(late).toBe(state);
    const shortGap = predictorStep(state, { kind: "sample", atMs: 130_000, rps: 5 }, config, 130_000).state;
    // Closes the open bin 9 and bridges bins 10–12 with its peak.
    expect(shortGap.lastClosedBin).toBe((state.lastClosedBin as number) + 4);
    expect(shortGap.history.slice(-4)).toEqual([5, 5, 5, 5]);
    const longGap = predictorStep(state, { kind: "sample", atMs: 500_000, rps: 5 }, config, 500_000).state;
    expect(longGap.history).toEqual([]);
  });

  it("rejects an LSTM trained for another horizon and unknown forecaster names", () => {
    const weights = initLstmWeights({ horizonBins: 3 }, createRng(1));
    expect(() => compilePredictorConfig({ lstm: weights })).toThrow(ForecastConfigError);
    expect(() => compilePredictorConfig({ serve: "arima" })).toThrow('serve: unknown forecaster "arima"');
  });
});
