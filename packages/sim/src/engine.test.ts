import { compilePredictorConfig } from "@fulcrum/core/forecast";
import { describe, expect, it } from "vitest";
import { simulate } from "./engine.js";
import { NO_SOLVER, scenarioOf } from "./testing/fixtures.js";

// l(b, c) = 5·b + 5 ms: a batch of 1 takes 10 ms, a batch of 2 takes 15 ms.
const FIT = { gammaMs: 0, deltaMs: 5, epsilonMs: 0, etaMs: 5 };

describe("simulate: a hand-computed scenario", () => {
  it("matches the timeline worked out by hand, exactly", async () => {
    // One replica, batch ≤ 2, max queue delay 5 ms, queue bound 2, SLO 100 ms unless a budget is given.
    //  t=0  r0 queued; alone, so it waits (wake at 5 = max delay)
    //  t=2  r1 queued: 2 = max batch → batch [r0 r1], 15 ms → done at 17
    //  t=3  r2 queued (busy until 17; 17 + 10 ≤ 103 keeps it)
    //  t=4  r3 (budget 20) queued, then dropped at once: even after the running batch, 17 + 10 > 24
    //  t=5  r4 queued (queue: r2 r4)
    //  t=6  r5: queue holds 2 = bound → rejected
    //  t=17 r0, r1 answered (17, 15 ms); queue full → batch [r2 r4] → done at 32
    //  t=30 r6 (budget 5): 30 + 10 > 35 → dropped at enqueue
    //  t=32 r2, r4 answered (29, 27 ms)
    //  t=40 r7 (budget 12): alone; deadline trigger at 52 − 10 = 42 → batch → done at 52 = its deadline: in time
    const requests = [
      { timeMs: 0, budgetMs: 100 }, { timeMs: 2, budgetMs: 100 }, { timeMs: 3, budgetMs: 100 }, { timeMs: 4, budgetMs: 20 },
      { timeMs: 5, budgetMs: 100 }, { timeMs: 6, budgetMs: 100 }, { timeMs: 30, budgetMs: 5 }, { timeMs: 40, budgetMs: 12 },
    ];
    const r = await simulate(
      scenarioOf({ m: FIT }, {
        workload: { kind: "explicit", requests, durationS: 1 },
        replica: { maxQueueDelayMs: 5, maxQueueSize: 2, safetyMarginMs: 0, maxBatch: 2 },
      }),
      { solver: NO_SOLVER },
    );
    expect(r.counts).toEqual({ arrivals: 8, inTime: 5, late: 0, dropped: 2, rejected: 1, unavailable: 0 });
    expect(r.attainment).toBe(5 / 8);
    expect(r.violations).toBe(3);
    // Latencies 12, 15, 17, 27, 29: type-7 p99 = 27 + 0.96·(29 − 27).
    expect(r.p99LatencyMs).toBeCloseTo(27 + 0.96 * 2, 12);
    expect(r.meanCores).toBe(1);
    expect(r.meanAccuracy).toBe(50);
    expect(r.servedAccuracy).toBe(50);
    expect(r.coldStarts).toBe(0);
    expect(r.series.arrivals).toEqual([8]);
    expect(r.series.inTime).toEqual([5]);
    expect(r.series.violations).toEqual([3]);
  });

  it("carries a request through two stages and multiplies their accuracies", async () => {
    // Stage 0: 10 ms alone; stage 1: l(b) = 20·b + 0 → 20 ms alone. One request at t=0, budget 100.
    //  stage 0 waits 5 ms (max delay), runs 5..15; stage 1 waits 5 ms, runs 20..40 → answered at 40.
    const r = await simulate(
      scenarioOf({ a: FIT, b: { gammaMs: 0, deltaMs: 20, epsilonMs: 0, etaMs: 0 } }, {
        workload: { kind: "explicit", requests: [{ timeMs: 0, budgetMs: 100 }], durationS: 1 },
      }),
      { solver: NO_SOLVER },
    );
    expect(r.counts.inTime).toBe(1);
    expect(r.p99LatencyMs).toBe(40);
    expect(r.meanAccuracy).toBe(25);
    expect(r.meanCores).toBe(2);
  });

  it("answers UNAVAILABLE when a stage has no ready replica", async () => {
    const r = await simulate(
      scenarioOf({ m: FIT }, {
        workload: { kind: "explicit", requests: [{ timeMs: 1, budgetMs: 100 }], durationS: 1 },
        initial: [{ stage: "s0", variants: [] }],
      }),
      { solver: NO_SOLVER },
    );
    expect(r.counts).toEqual({ arrivals: 1, inTime: 0, late: 0, dropped: 0, rejected: 0, unavailable: 1 });
    expect(r.meanCores).toBe(0);
  });
});

describe("simulate: actuation", () => {
  // From 1 replica × 1 core to 2 replicas × 2 cores at the decision at t = 2 s (static policy);
  // a new replica takes 100 ms to start, an in-place core change 50 ms; one request at 2.06 s.
  const run = (mode: "in-place" | "rolling" | "recreate", maxCores = 8) =>
    simulate(
      scenarioOf({ m: FIT }, {
        limits: { maxCores, batches: [1, 2], coresPerReplica: [1, 2], maxReplicas: 4 },
        workload: { kind: "explicit", requests: [{ timeMs: 2060, budgetMs: 100 }], durationS: 3 },
        policy: { name: "static", config: { stages: { s0: { variant: "m", batch: 1, coresPerReplica: 2, replicas: 2 } } } },
        control: { intervalMs: 5000, firstDecisionMs: 2000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({ binS: 1, horizonS: 1 }), value: "point", marginFraction: 0, tickMs: 1000, observedFloorMs: 0 } },
        actuation: { mode, replicaStartMs: 100, warmupMs: 0, inPlaceChangeMs: 50 },
        initial: [{ stage: "s0", variants: [{ variant: "m", weight: 1, batch: 1, coresPerReplica: 1, replicas: 1 }] }],
      }),
      { solver: NO_SOLVER },
    );

  it("in place: the kept replica changes cores (charged the larger count meanwhile), one cold start", async () => {
    const r = await run("in-place");
    // cores: 1 until 2 s, then 2 (switching replica) + 2 (starting replica) = 4.
    expect(r.meanCores).toBeCloseTo((1 * 2000 + 4 * 1000) / 3000, 12);
    expect(r.coldStarts).toBe(1);
    expect(r.inPlaceSwitches).toBe(1);
    expect(r.counts.inTime).toBe(1);
    expect(r.series.cores).toEqual([1, 1, 4]);
  });

  it("in place within the reconciler's core budget: a start that does not fit waits (here for ever)", async () => {
    const r = await run("in-place", 3);
    // The retarget to 2 cores fits (2 ≤ 3); a second 2-core replica would hold 4 > 3: deferred.
    expect(r.coldStarts).toBe(0);
    expect(r.inPlaceSwitches).toBe(1);
    expect(r.series.cores).toEqual([1, 1, 2]);
    expect(r.counts.inTime).toBe(1);
  });

  it("rolling: two cold starts; the old replica serves until they are ready, then drains", async () => {
    const r = await run("rolling");
    // 1 + 2 + 2 = 5 cores from 2.0 to 2.1 s, then 4.
    expect(r.meanCores).toBeCloseTo((1 * 2000 + 5 * 100 + 4 * 900) / 3000, 12);
    expect(r.coldStarts).toBe(2);
    expect(r.inPlaceSwitches).toBe(0);
    expect(r.counts.inTime).toBe(1);
  });

  it("recreate: the old replica is evicted at once, so a request before the new ones are ready finds none", async () => {
    const r = await run("recreate");
    expect(r.meanCores).toBeCloseTo((1 * 2000 + 4 * 1000) / 3000, 12);
    expect(r.coldStarts).toBe(2);
    expect(r.counts.unavailable).toBe(1);
  });
});

describe("simulate: the reconciler's start limit", () => {
  // From 1 replica to 5 (1 core each) at t = 2 s; a start takes 100 ms.
  const run = (maxConcurrentStarts?: number) =>
    simulate(
      scenarioOf({ m: FIT }, {
        limits: { maxCores: 8, batches: [1], coresPerReplica: [1], maxReplicas: 8 },
        workload: { kind: "explicit", requests: [{ timeMs: 2950, budgetMs: 100 }], durationS: 3 },
        policy: { name: "static", config: { stages: { s0: { variant: "m", batch: 1, coresPerReplica: 1, replicas: 5 } } } },
        control: { intervalMs: 5000, firstDecisionMs: 2000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({ binS: 1, horizonS: 1 }), value: "point", marginFraction: 0, tickMs: 1000, observedFloorMs: 0 } },
        actuation: { mode: "in-place", replicaStartMs: 100, warmupMs: 0, inPlaceChangeMs: 50, ...(maxConcurrentStarts ? { maxConcurrentStarts } : {}) },
        initial: [{ stage: "s0", variants: [{ variant: "m", weight: 1, batch: 1, coresPerReplica: 1, replicas: 1 }] }],
      }),
      { solver: NO_SOLVER },
    );

  it("starts two at a time by default (the live reconciler's limit): the next two when the first are ready", async () => {
    const r = await run();
    expect(r.coldStarts).toBe(4);
    // 1 core to 2.0 s; 1 + 2 starting to 2.1 s; 3 ready + 2 starting to 2.2 s; then 5.
    expect(r.meanCores).toBeCloseTo((1 * 2000 + 3 * 100 + 5 * 900) / 3000, 12);
  });

  it("starts all four at once when the scenario allows it (a cluster)", async () => {
    const r = await run(4);
    expect(r.coldStarts).toBe(4);
    expect(r.meanCores).toBeCloseTo((1 * 2000 + 5 * 1000) / 3000, 12);
  });
});

describe("simulate: bad decisions", () => {
  it("names a batch the replicas are not built for", async () => {
    const sc = scenarioOf({ m: FIT }, {
      workload: { kind: "explicit", requests: [], durationS: 1 },
      initial: [{ stage: "s0", variants: [{ variant: "m", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1 }] }],
    });
    await expect(simulate(sc, { solver: NO_SOLVER })).rejects.toThrow(/limits\.batches: policy static at t=0 s, stage s0: batch 4 of m is outside 1\.\.2/);
  });
});
