import { describe, expect, it } from "vitest";
import { generateBandwidthTrace, serverBudgetsMs, tileSeries } from "./bandwidth.js";
import { WorkloadOptionsError } from "./errors.js";
import { generateInfAdapterBurst, INFADAPTER_BURST_DURATION_S } from "./infadapter-burst.js";
import { seriesStats } from "./stats.js";
import { generateTrainingTrace } from "./training-trace.js";

const within = (got: number, want: number, tol: number): boolean => Math.abs(got - want) / want <= tol;

describe("generateInfAdapterBurst", () => {
  it("matches the 21-minute window's shape for every seed: 27–274 RPS, mean 96.6, burst minutes 9–16", () => {
    for (let seed = 1; seed <= 15; seed++) {
      const w = generateInfAdapterBurst(seed);
      expect(w).toHaveLength(INFADAPTER_BURST_DURATION_S);
      const s = seriesStats(w);
      expect(within(s.min, 27, 0.15), `min ${s.min}`).toBe(true);
      expect(within(s.max, 274, 0.15), `max ${s.max}`).toBe(true);
      expect(within(s.mean, 96.6, 0.15), `mean ${s.mean}`).toBe(true);
      const minuteMax = Array.from({ length: 21 }, (_, m) => Math.max(...w.slice(m * 60, m * 60 + 60)));
      for (const m of [0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20]) expect(minuteMax[m]).toBeLessThan(75);
      for (const m of [10, 11, 12, 13, 14]) expect(minuteMax[m]).toBeGreaterThan(200);
    }
  });
});

describe("generateTrainingTrace", () => {
  const { rps } = generateTrainingTrace({ seed: 5, days: 14, meanRps: 20 });
  const hourly = (day: number, hour: number): number => seriesStats(rps.slice(day * 86400 + hour * 3600, day * 86400 + (hour + 1) * 3600)).mean;

  it("has one count per second with the requested mean", () => {
    expect(rps).toHaveLength(14 * 86400);
    expect(within(seriesStats(rps).mean, 20 * (5 + 2 * 0.75) / 7, 0.2)).toBe(true);
  });

  it("has a daily cycle (afternoon busier than night) and quieter weekends", () => {
    for (const day of [0, 1, 2, 7, 8]) expect(hourly(day, 15)).toBeGreaterThan(1.5 * hourly(day, 3));
    const weekday = seriesStats(rps.slice(0, 5 * 86400)).mean;
    const weekend = seriesStats(rps.slice(5 * 86400, 7 * 86400)).mean;
    expect(weekend / weekday).toBeGreaterThan(0.6);
    expect(weekend / weekday).toBeLessThan(0.9);
  });

  it("damps like IPA: the same level with the per-second noise of a busier stream", () => {
    const quiet = (dampingFactor: number): number => {
      const trace = generateTrainingTrace({ seed: 2, days: 1, meanRps: 20, noiseStd: 0, burstsPerDay: 0, dailyAmplitude: 0, dampingFactor });
      return seriesStats(trace.rps).std;
    };
    // Poisson(20) has std √20 ≈ 4.5; damped by 8 it is √(20/8) ≈ 1.6 (plus rounding).
    expect(quiet(1)).toBeGreaterThan(4);
    expect(quiet(8)).toBeLessThan(1.9);
    expect(() => generateTrainingTrace({ seed: 1, dampingFactor: 0.5 })).toThrow(/dampingFactor/);
  });

  it("rejects impossible options by name", () => {
    expect(() => generateTrainingTrace({ seed: 1, days: 0 })).toThrow(WorkloadOptionsError);
    expect(() => generateTrainingTrace({ seed: 1, dailyAmplitude: 1.5 })).toThrow(/dailyAmplitude/);
  });
});

describe("generateBandwidthTrace and serverBudgetsMs", () => {
  it("spans 0.43–7 MB/s over 10 minutes with mean ≈3.45 for every seed", () => {
    for (let seed = 0; seed < 15; seed++) {
      const bw = generateBandwidthTrace({ seed });
      expect(bw).toHaveLength(600);
      const s = seriesStats(bw);
      expect(s.min).toBeCloseTo(0.43, 9);
      expect(s.max).toBeCloseTo(7, 9);
      expect(within(s.mean, 3.45, 0.05)).toBe(true);
    }
  });

  it("turns bandwidth into Sponge's budgets: SLO − payload/bandwidth", () => {
    // YOLO input 303 600 B at 0.43 MB/s takes 706 ms; at 7 MB/s 43 ms (docs/architecture.md#dynamic-slos).
    const budgets = serverBudgetsMs([0.43, 7, 3.036], { sloMs: 1000, payloadBytes: 303_600 });
    expect(budgets[0]).toBeCloseTo(1000 - 303_600 / 430, 9);
    expect(budgets[1]).toBeCloseTo(1000 - 303_600 / 7000, 9);
    expect(budgets[2]).toBeCloseTo(900, 6);
    const s = seriesStats(serverBudgetsMs(generateBandwidthTrace({ seed: 2 }), { sloMs: 1000, payloadBytes: 303_600 }));
    expect(s.min).toBeCloseTo(1000 - 303_600 / 430, 6);
    expect(within(s.mean, 893, 0.05)).toBe(true);
  });

  it("rejects a non-positive bandwidth naming its index", () => {
    expect(() => serverBudgetsMs([1, 0], { sloMs: 1000, payloadBytes: 10 })).toThrow(/value 1 must be > 0/);
  });

  it("tiles a series to the workload length", () => {
    expect(tileSeries([1, 2, 3], 7)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(() => tileSeries([], 3)).toThrow(WorkloadOptionsError);
  });
});
