import { describe, expect, it } from "vitest";
import { toDomainAck, toDomainForecast, toDomainLoadSample, toPbForecast } from "./codec.js";

const pbForecast = { pipeline: "p", createdUnixMs: 1000, horizonS: 10, peakRps: 40, upperRps: 50, coverage: 0.9, model: "lstm", historySamples: 60 };

describe("optimizer codec", () => {
  it("round-trips a forecast and reads 0 as absent", () => {
    expect(toPbForecast(toDomainForecast(pbForecast), 60)).toEqual(pbForecast);
    expect(toDomainForecast({ ...pbForecast, upperRps: 0, coverage: 0 })).toEqual({ pipeline: "p", createdAtMs: 1000, horizonS: 10, peakRps: 40, model: "lstm" });
  });

  it("names the bad field", () => {
    expect(() => toDomainForecast({ ...pbForecast, peakRps: Number.NaN })).toThrow("peak_rps: must be a finite number ≥ 0, got NaN");
    expect(() => toDomainForecast({ ...pbForecast, upperRps: 30 })).toThrow("upper_rps: 30 is below peak_rps 40");
    expect(() => toDomainForecast({ ...pbForecast, pipeline: "" })).toThrow("pipeline: is empty");
    expect(() => toDomainLoadSample({ pipeline: "p", timestampUnixMs: 0, arrivalsRps: -1, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 })).toThrow("arrivals_rps");
    expect(() => toDomainAck({ pipeline: "p", stage: "s", instance: "i", version: 0, applied: true, applyMs: 1, appliedUnixMs: 0, error: "" })).toThrow("version: must be ≥ 1, got 0");
  });

  it("keeps an ack's error only when it was not applied", () => {
    const base = { pipeline: "p", stage: "s", instance: "i", version: 3, applied: false, applyMs: 12, appliedUnixMs: 5, error: "no model" };
    expect(toDomainAck(base).error).toBe("no model");
    expect(toDomainAck({ ...base, applied: true }).error).toBeUndefined();
    expect(toDomainLoadSample({ pipeline: "p", timestampUnixMs: 7, arrivalsRps: 3, windowMs: 1000, budgetP10Ms: 80, budgetP50Ms: 0 })).toEqual({ pipeline: "p", timestampMs: 7, arrivalsRps: 3, windowMs: 1000, budgetP10Ms: 80 });
  });
});
