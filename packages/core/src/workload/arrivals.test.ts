import { createRng } from "../rng/index.js";
import { describe, expect, it } from "vitest";
import { planArrivals } from "./arrivals.js";
import { ratesOf } from "./rate-profile.js";

describe("planArrivals", () => {
  it("draws Poisson counts per second with uniform times inside the second", () => {
    const plan = planArrivals(Array(200).fill(50), { fixedMs: 100 }, createRng(1), 1e9);
    expect(plan.length / 200).toBeGreaterThan(47);
    expect(plan.length / 200).toBeLessThan(53);
    const perSecond = Array.from({ length: 200 }, (_, s) => plan.filter((p) => Math.floor(p.atMs / 1000) === s).length);
    const mean = perSecond.reduce((a, b) => a + b, 0) / 200;
    const variance = perSecond.reduce((a, b) => a + (b - mean) ** 2, 0) / 199;
    // Poisson: variance ≈ mean (a fixed-rate pacer would give ≈ 0).
    expect(variance / mean).toBeGreaterThan(0.7);
    expect(variance / mean).toBeLessThan(1.3);
    expect(plan.every((p, i) => i === 0 || p.atMs >= plan[i - 1]!.atMs)).toBe(true);
    expect(plan.map((p) => p.seq)).toEqual(plan.map((_, i) => i));
  });

  it("is deterministic by seed, bounded by maxRequests, and draws SLOs in range", () => {
    const a = planArrivals([10, 0, 20], { minMs: 50, maxMs: 150 }, createRng(9), 1e9);
    expect(planArrivals([10, 0, 20], { minMs: 50, maxMs: 150 }, createRng(9), 1e9)).toEqual(a);
    expect(a.filter((p) => p.atMs >= 1000 && p.atMs < 2000)).toEqual([]);
    expect(a.every((p) => p.sloMs >= 50 && p.sloMs <= 150)).toBe(true);
    expect(new Set(a.map((p) => Math.round(p.sloMs))).size).toBeGreaterThan(5);
    expect(planArrivals([1000, 1000], { fixedMs: 1 }, createRng(1), 7)).toHaveLength(7);
    expect(() => planArrivals([1, -1], { fixedMs: 1 }, createRng(1), 10)).toThrow("rate of second 1 must be a finite number ≥ 0, got -1");
  });
});

describe("ratesOf", () => {
  it("expands constant, step, series and IPA profiles and cuts them to the maximum duration", () => {
    expect(ratesOf({ kind: "constant", rps: 5, durationS: 3 }, 100)).toEqual([5, 5, 5]);
    expect(ratesOf({ kind: "steps", steps: [{ rps: 1, durationS: 2 }, { rps: 9, durationS: 1 }] }, 100)).toEqual([1, 1, 9]);
    expect(ratesOf({ kind: "series", rps: [1, 2, 3], scale: 2 }, 2)).toEqual([2, 4]);
    const ipa = ratesOf({ kind: "ipa", pattern: "bursty", seed: 3, scale: 0.5 }, 60);
    expect(ipa).toHaveLength(60);
    expect(ratesOf({ kind: "ipa", pattern: "bursty", seed: 3, scale: 1 }, 60).map((r) => r * 0.5)).toEqual(ipa);
  });
});
