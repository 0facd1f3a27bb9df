import { describe, expect, it } from "vitest";
import { AckTracker } from "./ack-tracker.js";
import { diffAssignments } from "./assignment-diff.js";
import { budgetsFromLoad, buildPolicyInput, decisionRate, forecastRps, observedMeanRps, usableForecast } from "./policy-input.js";

const f = { pipeline: "p", createdAtMs: 1000, horizonS: 10, peakRps: 40, upperRps: 55, model: "lstm" };

describe("control-loop helpers", () => {
  it("uses the upper forecast when asked and present, else the peak; refuses missing and stale forecasts", () => {
    expect(forecastRps(f, "upper")).toBe(55);
    expect(forecastRps(f, "peak")).toBe(40);
    expect(forecastRps({ ...f, upperRps: undefined }, "upper")).toBe(40);
    expect(usableForecast(undefined, 2000, 500)).toEqual({ gap: "no-forecast" });
    expect(usableForecast(f, 1501, 500)).toEqual({ gap: "stale-forecast" });
    expect(usableForecast(f, 1500, 500)).toEqual({ forecast: f });
  });

  it("takes the tightest budget quantiles of the window's load samples", () => {
    const s = (t: number, p10?: number, p50?: number) => ({ pipeline: "p", timestampMs: t, arrivalsRps: 1, windowMs: 1000, ...(p10 ? { budgetP10Ms: p10 } : {}), ...(p50 ? { budgetP50Ms: p50 } : {}) });
    expect(budgetsFromLoad([s(0, 10, 20), s(5000, 300, 600), s(6000, 200, 700)], 10_000, 5000)).toEqual({ quantilesMs: [{ q: 0.1, valueMs: 200 }, { q: 0.5, valueMs: 600 }] });
    expect(budgetsFromLoad([s(9000)], 10_000, 5000)).toBeUndefined();
  });

  it("averages the arrival rate of the window's load samples, weighted by their lengths, for the policy input", () => {
    const s = (t: number, rps: number, windowMs = 1000) => ({ pipeline: "p", timestampMs: t, arrivalsRps: rps, windowMs });
    // (2000 ms at 30 rps + 1000 ms at 90 rps) / 3000 ms; the sample starting 6 s before now is out.
    expect(observedMeanRps([s(4000, 500), s(7000, 30, 2000), s(9000, 90)], 10_000, 5000)).toBe(50);
    expect(observedMeanRps([s(1000, 30)], 10_000, 5000)).toBeUndefined();
    const ctx = { pipeline: "p", stages: [], perf: undefined as never, sloMs: 100, limits: { maxCores: 1, batches: [1], coresPerReplica: [1], maxReplicas: 1 } };
    const built = buildPolicyInput(ctx, 80, { samples: [s(7000, 30, 2000), s(9000, 90)], nowMs: 10_000, windowMs: 5000 });
    expect(built.observedRps).toBe(50);
    expect(built.budgets).toBeUndefined();
    expect("observedRps" in buildPolicyInput(ctx, 80)).toBe(false);
  });

  it("floors λ̂ at the highest arrival rate of the samples ending within the window, and only there", () => {
    const s = (t: number, rps: number, windowMs = 1000) => ({ pipeline: "p", timestampMs: t, arrivalsRps: rps, windowMs });
    // Window (7000, 10000]: the sample ending at 7000 is out, the ones ending at 8000 and 10000 in.
    const load = [s(5000, 500), s(6000, 90, 1000), s(7000, 80), s(9000, 60)];
    expect(decisionRate(50, load, 10_000, 3000)).toEqual({ rps: 80, forecastRps: 50, observedPeakRps: 80, floored: true });
    expect(decisionRate(100, load, 10_000, 3000)).toEqual({ rps: 100, forecastRps: 100, observedPeakRps: 80, floored: false });
    // A sample spanning the window's start counts (it ends inside it).
    expect(decisionRate(50, [s(6000, 70, 2000)], 10_000, 3000).rps).toBe(70);
    expect(decisionRate(50, load, 10_000, 0)).toEqual({ rps: 50, forecastRps: 50, observedPeakRps: 0, floored: false });
    expect(decisionRate(50, [], 10_000, 3000)).toEqual({ rps: 50, forecastRps: 50, observedPeakRps: 0, floored: false });
  });

  it("diffs assignments per (stage, variant)", () => {
    const a = [{ stage: "s", variants: [{ variant: "x", weight: 1, batch: 1, coresPerReplica: 2, replicas: 1 }] }];
    const b = [{ stage: "s", variants: [{ variant: "x", weight: 0.5, batch: 1, coresPerReplica: 4, replicas: 1 }, { variant: "y", weight: 0.5, batch: 2, coresPerReplica: 1, replicas: 1 }] }];
    expect(diffAssignments(a, a)).toEqual([]);
    expect(diffAssignments(a, b)).toEqual([
      { stage: "s", variant: "x", kind: "changed", fields: ["weight", "coresPerReplica"] },
      { stage: "s", variant: "y", kind: "added", fields: [] },
    ]);
    expect(diffAssignments(b, a).map((c) => c.kind)).toEqual(["changed", "removed"]);
    expect(diffAssignments(undefined, a)).toHaveLength(1);
  });

  it("tracks the latest ack per instance for the last N versions", () => {
    const t = new AckTracker(2);
    t.published(1, 2);
    t.published(2, 2);
    const ack = (version: number, instance: string, applied = true) => ({ pipeline: "p", stage: "s", instance, version, applied, applyMs: 40, appliedAtMs: 0 });
    expect(t.record(ack(2, "i1"))).toBe(true);
    expect(t.record(ack(2, "i2", false))).toBe(true);
    expect(t.record(ack(2, "i2"))).toBe(true);
    expect(t.of(2)).toMatchObject({ expectedReplicas: 2, applied: 2, failed: 0, maxApplyMs: 40 });
    t.published(3, 1);
    expect(t.of(1)).toBeUndefined();
    expect(t.record(ack(1, "i1"))).toBe(false);
    expect(t.untracked).toBe(1);
  });
});
