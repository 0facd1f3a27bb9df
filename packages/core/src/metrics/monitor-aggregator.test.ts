import { describe, expect, it } from "vitest";
import { MonitorAggregator } from "./monitor-aggregator.js";
import type { StageSample } from "../control/messages.js";
import type { GatewayWindow } from "./gateway-window.js";

const gw = (over: Partial<GatewayWindow> = {}): GatewayWindow => ({
  pipeline: "p", windowStartMs: 0, windowMs: 1000, arrivals: 10, answeredInTime: 10, late: 0, rejected: 0, failed: 0,
  latencyP50Ms: 5, latencyP95Ms: 9, latencyP99Ms: 12, budgetP10Ms: 100, budgetP50Ms: 200, meanAccuracy: 0.9, ...over,
});
const st = (over: Partial<StageSample> = {}): StageSample => ({
  pipeline: "p", stage: "s", instance: "i0", windowStartMs: 0, windowMs: 1000, arrivals: 10, completions: 10, queueLength: 0,
  latencyP50Ms: 3, latencyP95Ms: 4, latencyP99Ms: 5, violations: 0, earlyDrops: 0, rejected: 0, failures: 0, meanBatch: 1,
  variant: "linear", cores: 2, batchSize: 4, cpuSeconds: 0.1, assignmentVersion: 3, ...over,
});

describe("MonitorAggregator", () => {
  it("folds the gateway windows received since the last load point into one rate", () => {
    const a = new MonitorAggregator();
    expect(a.takeLoad("p")).toBeUndefined();
    a.recordGateway(gw({ windowStartMs: 1000, windowMs: 1000, arrivals: 30, budgetP10Ms: 80, budgetP50Ms: 150 }), 2000);
    a.recordGateway(gw({ windowStartMs: 2000, windowMs: 500, arrivals: 30, budgetP10Ms: 60, budgetP50Ms: 170 }), 2500);
    expect(a.takeLoad("p")).toEqual({ pipeline: "p", timestampMs: 1000, arrivalsRps: 40, windowMs: 1500, budgetP10Ms: 60, budgetP50Ms: 150 });
    // No new window: no point (absence of data is not zero load).
    expect(a.takeLoad("p")).toBeUndefined();
    a.recordGateway(gw({ arrivals: 0, budgetP10Ms: 0, budgetP50Ms: 0 }), 3000);
    const idle = a.takeLoad("p");
    expect(idle).toMatchObject({ arrivalsRps: 0 });
    expect(idle?.budgetP10Ms).toBeUndefined();
  });

  it("computes totals, rolling and total attainment, and answer-weighted accuracy", () => {
    const a = new MonitorAggregator({ attainmentWindowMs: 10_000 });
    a.recordGateway(gw({ arrivals: 10, answeredInTime: 5, late: 5, meanAccuracy: 0.5 }), 0);
    a.recordGateway(gw({ arrivals: 10, answeredInTime: 8, late: 0, rejected: 1, failed: 1, meanAccuracy: 0.9 }), 20_000);
    const s = a.summary("p", 20_000)!;
    expect(s.totals).toEqual({ sent: 20, inTime: 13, late: 5, rejected: 1, failed: 1 });
    expect(s.attainment).toBeCloseTo(0.8, 12);
    expect(s.attainmentTotal).toBeCloseTo(13 / 20, 12);
    expect(s.meanAccuracy).toBeCloseTo(0.9, 12);
    expect(s.arrivalsRps).toBe(10);
    expect(a.summary("p", 20_000 + 10_001)!.attainment).toBe(1);
    expect(a.summary("nope", 0)).toBeUndefined();
  });

  it("counts cores and replicas of fresh instances only, and forgets silent ones", () => {
    const a = new MonitorAggregator({ staleMs: 3000, instanceTtlMs: 10_000 });
    a.recordStage(st({ instance: "i0", cores: 2 }), 0);
    a.recordStage(st({ instance: "i1", cores: 1 }), 2500);
    a.recordStage(st({ stage: "t", instance: "j0", cores: 4 }), 2500);
    const s = a.summary("p", 4000)!;
    expect(s.coresAllocated).toBe(5);
    expect(s.replicas).toEqual({ s: 1, t: 1 });
    expect(s.instances.map((i) => [i.instance, i.fresh])).toEqual([["i0", false], ["i1", true], ["j0", true]]);
    a.prune(10_001);
    expect(a.summary("p", 10_001)!.instances.map((i) => i.instance)).toEqual(["i1", "j0"]);
  });

  it("bounds the history of windows and instance samples", () => {
    const a = new MonitorAggregator({ historyWindows: 3, instanceHistory: 2 });
    for (let i = 0; i < 10; i++) {
      a.recordGateway(gw({ windowStartMs: i * 1000 }), i * 1000);
      a.recordStage(st({ windowStartMs: i * 1000 }), i * 1000);
    }
    expect(a.history("p").map((w) => w.windowStartMs)).toEqual([7000, 8000, 9000]);
    expect(a.instanceHistory("p", "s", "i0").map((w) => w.windowStartMs)).toEqual([8000, 9000]);
    expect(a.summary("p", 9000)!.totals.sent).toBe(100);
  });
});
