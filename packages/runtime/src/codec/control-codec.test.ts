import { describe, expect, it } from "vitest";
import type { control } from "@fulcrum/proto";
import {
  toDomainAck,
  toDomainForecast,
  toDomainGatewayWindow,
  toDomainLoadSample,
  toDomainPlacement,
  toDomainRegistryRecord,
  toDomainStageSample,
  toPbForecast,
  toPbGatewayMetrics,
  toPbLoadSample,
  toPbPlacement,
  toPbRegistryEntry,
  toPbStageMetrics,
} from "./control-codec.js";

const pbForecast: control.Forecast = { pipeline: "p", createdUnixMs: 1000, horizonS: 10, peakRps: 40, upperRps: 50, coverage: 0.9, model: "lstm", historySamples: 60 };
const pbStage: control.StageMetrics = {
  pipeline: "p", stage: "s", instance: "s-0", windowStartUnixMs: 1000, windowMs: 1000, arrivals: 10, completions: 9, queueLength: 1,
  latencyP50Ms: 5, latencyP95Ms: 9, latencyP99Ms: 12, violations: 1, earlyDrops: 1, rejected: 0, meanBatch: 2, variant: "v", cores: 2,
  batchSize: 4, cpuSeconds: 0.5, assignmentVersion: 3, failures: 0,
};
const pbGateway: control.GatewayMetrics = {
  pipeline: "p", windowStartUnixMs: 1000, windowMs: 1000, arrivals: 10, answeredInTime: 8, late: 1, rejected: 1, failed: 0,
  latencyP50Ms: 5, latencyP95Ms: 9, latencyP99Ms: 12, budgetP10Ms: 100, budgetP50Ms: 200, meanAccuracy: 0.8,
};
const pbEntry: control.RegistryEntry = {
  pipeline: "p", stage: "s", instance: "s-0", address: "127.0.0.1:5000", variant: "v", cores: 1, batch: 4, assignmentVersion: 2,
  heartbeatUnixMs: 5000, startedUnixMs: 4000, state: "ready", variants: ["v", "w"],
};

describe("control-plane codec", () => {
  it("round-trips every message", () => {
    expect(toPbForecast(toDomainForecast(pbForecast))).toEqual(pbForecast);
    expect(toPbStageMetrics(toDomainStageSample(pbStage))).toEqual(pbStage);
    expect(toPbGatewayMetrics(toDomainGatewayWindow(pbGateway))).toEqual(pbGateway);
    expect(toPbRegistryEntry(toDomainRegistryRecord(pbEntry))).toEqual(pbEntry);
    const load = { pipeline: "p", timestampUnixMs: 7, arrivalsRps: 3, windowMs: 1000, budgetP10Ms: 80, budgetP50Ms: 120 };
    expect(toPbLoadSample(toDomainLoadSample(load))).toEqual(load);
    const placement = { pipeline: "p", stage: "s", instance: "s-1", variant: "v", cores: 2, batch: 8, assignmentVersion: 4, generation: 3 };
    expect(toPbPlacement(toDomainPlacement(placement))).toEqual(placement);
  });

  it("reads 0 as absent where the contract says so", () => {
    expect(toDomainForecast({ ...pbForecast, upperRps: 0, coverage: 0 })).toEqual({ pipeline: "p", createdAtMs: 1000, horizonS: 10, peakRps: 40, model: "lstm", historySamples: 60 });
    expect(toDomainLoadSample({ pipeline: "p", timestampUnixMs: 7, arrivalsRps: 3, windowMs: 1000, budgetP10Ms: 80, budgetP50Ms: 0 })).toEqual({ pipeline: "p", timestampMs: 7, arrivalsRps: 3, windowMs: 1000, budgetP10Ms: 80 });
  });

  it.each<[string, () => unknown, string]>([
    ["forecast peak", () => toDomainForecast({ ...pbForecast, peakRps: Number.NaN }), "peak_rps: must be a finite number ≥ 0, got NaN"],
    ["forecast upper below peak", () => toDomainForecast({ ...pbForecast, upperRps: 30 }), "upper_rps: 30 is below peak_rps 40"],
    ["empty pipeline", () => toDomainForecast({ ...pbForecast, pipeline: "" }), 'pipeline "" is not a valid NATS subject token'],
    ["negative load", () => toDomainLoadSample({ pipeline: "p", timestampUnixMs: 7, arrivalsRps: -1, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 }), "arrivals_rps: must be a finite number ≥ 0, got -1"],
    ["ack version 0", () => toDomainAck({ pipeline: "p", stage: "s", instance: "i", version: 0, applied: true, applyMs: 1, appliedUnixMs: 0, error: "" }), "version: must be ≥ 1, got 0"],
    ["empty gateway window", () => toDomainGatewayWindow({ ...pbGateway, pipeline: "", windowStartUnixMs: 0 }), 'pipeline "" is not a valid NATS subject token'],
    ["accuracy above 1", () => toDomainGatewayWindow({ ...pbGateway, meanAccuracy: 1.5 }), "mean_accuracy: must be in [0, 1], got 1.5"],
    ["stage with a dotted instance", () => toDomainStageSample({ ...pbStage, instance: "a.b" }), 'instance "a.b" is not a valid NATS subject token'],
    ["stage window start 0", () => toDomainStageSample({ ...pbStage, windowStartUnixMs: 0 }), "window_start_unix_ms: must be a finite number ≥ 1, got 0"],
    ["registry state", () => toDomainRegistryRecord({ ...pbEntry, state: "zombie" }), 'state: must be one of starting, ready, draining, stopped, got "zombie"'],
    ["registry address", () => toDomainRegistryRecord({ ...pbEntry, address: "nowhere" }), 'address: must be host:port, got "nowhere"'],
    ["placement cores 0", () => toDomainPlacement({ pipeline: "p", stage: "s", instance: "i", variant: "v", cores: 0, batch: 1, assignmentVersion: 1, generation: 1 }), "cores: must be ≥ 1, got 0"],
  ])("refuses %s, naming the field", (_name, decode, message) => {
    expect(decode).toThrow(message);
  });

  it("keeps an ack's error only when it was not applied", () => {
    const base = { pipeline: "p", stage: "s", instance: "i", version: 3, applied: false, applyMs: 12, appliedUnixMs: 5, error: "no model" };
    expect(toDomainAck(base).error).toBe("no model");
    expect(toDomainAck({ ...base, applied: true }).error).toBeUndefined();
  });
});
