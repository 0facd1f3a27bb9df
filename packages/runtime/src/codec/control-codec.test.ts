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
  heartbeatUnixMs: 5000, startedUnixMs: 4000, readyUnixMs: 4500, state: "ready", variants: ["v", "w"],
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
    ["registry ready before start", () => toDomainRegistryRecord({ ...pbEntry, readyUnixMs: 3999 }), "ready_unix_ms: 3999 is before started_unix_ms 4000"],
    ["registry ready after its heartbeat", () => toDomainRegistryRecord({ ...pbEntry, readyUnixMs: 5001 }), "ready_unix_ms: 5001 is after heartbeat_unix_ms 5000"],
    ["placement cores 0", () => toDomainPlacement({ pipeline: "p", stage: "s", instance: "i", variant: "v", cores: 0, batch: 1, assignmentVersion: 1, generation: 1 }), "cores: must be ≥ 1, got 0"],
  ])("refuses %s, naming the field", (_name, decode, message) => {
    expect(decode).toThrow(message);
  });

  const bounds = { maxRps: 1000, maxClockSkewMs: 60_000, nowMs: 10_000 };
  it.each<[string, () => unknown, string]>([
    ["a forged 10¹² rps load sample", () => toDomainLoadSample({ pipeline: "p", timestampUnixMs: 7, arrivalsRps: 1e12, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 }, bounds), "arrivals_rps: 1000000000000 rps is above the limit of 1000 rps (maxRps)"],
    ["a load sample from the future", () => toDomainLoadSample({ pipeline: "p", timestampUnixMs: 1e12, arrivalsRps: 1, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 }, bounds), "timestamp_unix_ms: 1000000000000 is 999999990000 ms ahead"],
    ["a forged 10¹² rps forecast", () => toDomainForecast({ ...pbForecast, peakRps: 1e12, upperRps: 0 }, bounds), "peak_rps: 1000000000000 rps is above the limit"],
    ["a forecast's upper bound", () => toDomainForecast({ ...pbForecast, upperRps: 5000 }, bounds), "upper_rps: 5000 rps is above the limit"],
    ["a forecast from the future", () => toDomainForecast({ ...pbForecast, createdUnixMs: 100_000 }, bounds), "created_unix_ms: 100000 is 90000 ms ahead of this clock, more than the allowed skew of 60000 ms (maxClockSkewMs)"],
    ["gateway arrivals", () => toDomainGatewayWindow({ ...pbGateway, arrivals: 5000 }, bounds), "arrivals: 5000 in 1000 ms is 5000 rps, above the limit of 1000 rps (maxRps)"],
    ["gateway arrivals in no window", () => toDomainGatewayWindow({ ...pbGateway, windowMs: 0 }, bounds), "window_ms: must be > 0 when arrivals is 10, got 0"],
    ["stage completions", () => toDomainStageSample({ ...pbStage, completions: 1e9 }, bounds), "completions: 1000000000 in 1000 ms"],
    ["a stage window from the future", () => toDomainStageSample({ ...pbStage, windowStartUnixMs: 1e13 }, bounds), "window_start_unix_ms: 10000000000000 is"],
    ["a heartbeat from the future", () => toDomainRegistryRecord({ ...pbEntry, heartbeatUnixMs: 1e13 }, bounds), "heartbeat_unix_ms: 10000000000000 is"],
    ["placement cores", () => toDomainPlacement({ pipeline: "p", stage: "s", instance: "i", variant: "v", cores: 64, batch: 1, assignmentVersion: 1, generation: 1 }, { maxCoresPerReplica: 2, maxBatch: 8 }), "cores: 64 is above the limit of 2 (maxCoresPerReplica)"],
    ["placement batch", () => toDomainPlacement({ pipeline: "p", stage: "s", instance: "i", variant: "v", cores: 1, batch: 4096, assignmentVersion: 1, generation: 1 }, { maxCoresPerReplica: 2, maxBatch: 8 }), "batch: 4096 is above the limit of 8 (maxBatch)"],
    ["a megabyte of ack error", () => toDomainAck({ pipeline: "p", stage: "s", instance: "i", version: 1, applied: false, applyMs: 1, appliedUnixMs: 0, error: "x".repeat(5000) }), "error: is 5000 characters long, more than 4096"],
  ])("with the consumer's bounds, refuses %s naming the field", (_name, decode, message) => {
    expect(decode).toThrow(message);
  });

  it("accepts what is within the bounds", () => {
    expect(toDomainGatewayWindow({ ...pbGateway, windowStartUnixMs: 60_000 }, bounds).arrivals).toBe(10);
    expect(toDomainForecast(pbForecast, bounds).peakRps).toBe(40);
    expect(toDomainStageSample(pbStage, bounds).arrivals).toBe(10);
  });

  it("keeps an ack's error only when it was not applied", () => {
    const base = { pipeline: "p", stage: "s", instance: "i", version: 3, applied: false, applyMs: 12, appliedUnixMs: 5, error: "no model" };
    expect(toDomainAck(base).error).toBe("no model");
    expect(toDomainAck({ ...base, applied: true }).error).toBeUndefined();
  });
});
