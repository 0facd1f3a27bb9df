import type { control } from "@fulcrum/proto";
import type { GatewayWindow, LoadPoint, StageSample } from "../core/types.js";

/** GatewayMetrics → domain window. */
export function toDomainGatewayWindow(m: control.GatewayMetrics): GatewayWindow {
  return {
    pipeline: m.pipeline,
    windowStartMs: m.windowStartUnixMs,
    windowMs: m.windowMs,
    arrivals: m.arrivals,
    answeredInTime: m.answeredInTime,
    late: m.late,
    rejected: m.rejected,
    failed: m.failed,
    latencyP50Ms: m.latencyP50Ms,
    latencyP95Ms: m.latencyP95Ms,
    latencyP99Ms: m.latencyP99Ms,
    budgetP10Ms: m.budgetP10Ms,
    budgetP50Ms: m.budgetP50Ms,
    meanAccuracy: m.meanAccuracy,
  };
}

/** StageMetrics → domain sample. */
export function toDomainStageSample(m: control.StageMetrics): StageSample {
  return {
    pipeline: m.pipeline,
    stage: m.stage,
    instance: m.instance,
    windowStartMs: m.windowStartUnixMs,
    windowMs: m.windowMs,
    arrivals: m.arrivals,
    completions: m.completions,
    queueLength: m.queueLength,
    latencyP50Ms: m.latencyP50Ms,
    latencyP95Ms: m.latencyP95Ms,
    latencyP99Ms: m.latencyP99Ms,
    violations: m.violations,
    earlyDrops: m.earlyDrops,
    rejected: m.rejected,
    failures: m.failures,
    meanBatch: m.meanBatch,
    variant: m.variant,
    cores: m.cores,
    batchSize: m.batchSize,
    cpuSeconds: m.cpuSeconds,
    assignmentVersion: m.assignmentVersion,
  };
}

/** Domain load point → LoadSample. */
export function toPbLoadSample(p: LoadPoint): control.LoadSample {
  return {
    pipeline: p.pipeline,
    timestampUnixMs: Math.round(p.timestampMs),
    arrivalsRps: p.arrivalsRps,
    windowMs: Math.round(p.windowMs),
    budgetP10Ms: p.budgetP10Ms,
    budgetP50Ms: p.budgetP50Ms,
  };
}
