import { describe, expect, it } from "vitest";
import { createRng, normal } from "../rng/index.js";
import { buildBatchTables } from "./batch-table.js";
import { capacityAtSlo, capacityRps, fitCapacityLine } from "./capacity.js";
import { fitSpongeLatency, predictSponge } from "./fit.js";
import { holdoutCheck } from "./holdout.js";
import { spongeLatencyMs, type SpongeCoefficients } from "./latency-model.js";
import { fitProfile, perfModelFromProfile, variantPoints } from "./profile-fit.js";
import { PROFILE_SCHEMA_VERSION, type Profile } from "./profile-schema.js";

const K: SpongeCoefficients = { gammaMs: 30, deltaMs: 3, epsilonMs: 20, etaMs: 10 };
const BATCHES = [1, 2, 4, 8, 16];
const CORES = [1, 2, 4, 8];

/** Sponge-form points with multiplicative Gaussian noise of relative sd `noise`, `repeats` per (b, c). */
function noisyGrid(k: SpongeCoefficients, noise: number, seed: number, repeats = 1): { batch: number; cores: number; latencyMs: number }[] {
  const rng = createRng(seed);
  return BATCHES.flatMap((batch) => CORES.flatMap((cores) => Array.from({ length: repeats }, () => ({ batch, cores, latencyMs: spongeLatencyMs(k, batch, cores) * (1 + normal(rng, 0, noise)) }))));
}

describe("fitSpongeLatency on noisy data", () => {
  it("recovers known coefficients within 10% from 1%-noise measurements (3 per point), over 20 seeds", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = fitSpongeLatency(noisyGrid(K, 0.01, seed, 3)).coefficients;
      expect(Math.abs(c.gammaMs / K.gammaMs - 1)).toBeLessThan(0.1);
      expect(Math.abs(c.deltaMs / K.deltaMs - 1)).toBeLessThan(0.1);
      expect(Math.abs(c.epsilonMs / K.epsilonMs - 1)).toBeLessThan(0.1);
      expect(Math.abs(c.etaMs / K.etaMs - 1)).toBeLessThan(0.1);
    }
  });

  it("reports RMSE near the noise level and the worst under-prediction as measured − predicted", () => {
    const pts = noisyGrid(K, 0.02, 9);
    const fit = fitSpongeLatency(pts);
    const residuals = pts.map((p) => spongeLatencyMs(fit.coefficients, p.batch, p.cores) - p.latencyMs);
    expect(fit.rmseMs).toBeCloseTo(Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / pts.length), 9);
    const worst = Math.max(...residuals.map((r) => -r));
    expect(fit.worstUnderPredictionMs).toBeCloseTo(worst, 9);
    const at = fit.worstUnderPredictionAt!;
    const p = pts.find((q) => q.batch === at.batch && q.cores === at.cores)!;
    expect(fit.worstUnderPredictionPct).toBeCloseTo((100 * worst) / p.latencyMs, 9);
  });

  it("each weighting minimises its own error measure", () => {
    const pts = noisyGrid(K, 0.08, 11);
    const abs = fitSpongeLatency(pts);
    const rel = fitSpongeLatency(pts, { weighting: "relative" });
    const sse = (f: typeof abs, relative: boolean): number =>
      pts.reduce((s, p) => s + ((spongeLatencyMs(f.coefficients, p.batch, p.cores) - p.latencyMs) / (relative ? p.latencyMs : 1)) ** 2, 0);
    expect(sse(rel, true)).toBeLessThan(sse(abs, true));
    expect(sse(abs, false)).toBeLessThan(sse(rel, false));
    // RMSE is always reported in ms, whatever was minimised.
    expect(rel.rmseMs).toBeCloseTo(Math.sqrt(sse(rel, false) / pts.length), 9);
  });

  it("flags predictions at core counts or batches it never saw as modeled", () => {
    const fit = fitSpongeLatency(noisyGrid(K, 0, 1));
    expect(predictSponge(fit, 4, 2).modeled).toBe(false);
    expect(predictSponge(fit, 4, 3).modeled).toBe(true);
    expect(predictSponge(fit, 4, 16).modeled).toBe(true);
    expect(predictSponge(fit, 3, 2).modeled).toBe(true);
    expect(predictSponge(fit, 4, 16).latencyMs).toBeCloseTo(spongeLatencyMs(K, 4, 16), 6);
  });
});

describe("holdoutCheck", () => {
  it("holds out a checkerboard that keeps every batch and core count in the fit", () => {
    const pts = BATCHES.flatMap((batch) => [1, 2].map((cores) => ({ batch, cores, latencyMs: spongeLatencyMs(K, batch, cores) })));
    const r = holdoutCheck(pts);
    expect(r.heldOut).toHaveLength(5);
    expect(r.fit.points).toBe(5);
    expect(r.fit.coresMeasured).toEqual([1, 2]);
    expect(new Set(r.heldOut.map((h) => h.cores))).toEqual(new Set([1, 2]));
    expect(r.medianAbsPctError).toBeLessThan(1e-6);
  });

  it("reports the held-out error of a surface the model cannot represent", () => {
    // Latency quadratic in batch: Sponge's linear-in-b form must miss the held-out points.
    const pts = BATCHES.flatMap((batch) => [1, 2, 4].map((cores) => ({ batch, cores, latencyMs: 5 + (batch * batch) / cores })));
    const r = holdoutCheck(pts);
    expect(r.medianAbsPctError).toBeGreaterThan(5);
    const under = r.heldOut.filter((h) => h.errorPct < 0).map((h) => -h.errorPct);
    expect(r.worstUnderPredictionPct).toBeCloseTo(Math.max(0, ...under), 9);
  });
});

describe("IPA tables and InfAdapter capacity", () => {
  const pts = [
    { batch: 1, cores: 1, latencyMs: 20 },
    { batch: 4, cores: 1, latencyMs: 60 },
    { batch: 1, cores: 2, latencyMs: 12 },
    { batch: 4, cores: 2, latencyMs: 32 },
  ];

  it("tables group by cores with throughput b/l", () => {
    const t = buildBatchTables(pts);
    expect(t.map((x) => x.cores)).toEqual([1, 2]);
    expect(t[1]!.rows).toEqual([{ batch: 1, latencyMs: 12, throughputRps: 1000 / 12 }, { batch: 4, latencyMs: 32, throughputRps: 125 }]);
    expect(() => buildBatchTables([...pts, pts[0]!])).toThrow("duplicate measured point b=1 c=1");
  });

  it("capacity takes the best batch whose fill + service time meets the SLO", () => {
    // b=4 at 1 core: 60·7/4 = 105 ms bound, 66.7 rps; b=1: 20 ms, 50 rps.
    expect(capacityAtSlo(pts, 200)[0]).toMatchObject({ cores: 1, batch: 4, capacityRps: 4000 / 60 });
    expect(capacityAtSlo(pts, 100)[0]).toMatchObject({ cores: 1, batch: 1, capacityRps: 50 });
    expect(capacityAtSlo(pts, 10)[0]).toEqual({ cores: 1, capacityRps: 0, batch: undefined, boundMs: undefined });
  });

  it("the capacity line is ordinary least squares on cores, reporting over-prediction", () => {
    const exact = fitCapacityLine([{ cores: 1, capacityRps: 11 }, { cores: 2, capacityRps: 21 }, { cores: 4, capacityRps: 41 }]);
    expect(exact.slopeRpsPerCore).toBeCloseTo(10, 9);
    expect(exact.interceptRps).toBeCloseTo(1, 9);
    expect(exact.rmseRps).toBeCloseTo(0, 9);
    expect(capacityRps(exact, 8)).toBeCloseTo(81, 9);
    // (1,10) (2,22) (4,40): slope = Sxy/Sxx = 46/(42/9), intercept = 24 − slope·7/3.
    const line = fitCapacityLine([{ cores: 1, capacityRps: 10 }, { cores: 2, capacityRps: 22 }, { cores: 4, capacityRps: 40 }]);
    expect(line.slopeRpsPerCore).toBeCloseTo(69 / 7, 9);
    expect(line.interceptRps).toBeCloseTo(24 - (69 / 7) * (7 / 3), 9);
    expect(line.worstOverPredictionRps).toBeCloseTo(69 / 7 + line.interceptRps - 10, 9);
    expect(() => fitCapacityLine([{ cores: 2, capacityRps: 5 }])).toThrow("≥ 2 distinct core counts");
  });
});

function measuredProfile(): Profile {
  const points = BATCHES.flatMap((batch) => [1, 2].map((cores) => {
    const l = spongeLatencyMs(K, batch, cores);
    return { batch, cores, samples: 20, p50Ms: l, p95Ms: l * 1.1, p99Ms: l * 1.2, meanMs: l * 1.02 };
  }));
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    family: "toy",
    createdAt: "2025-01-01T00:00:00Z",
    statistics: ["p50", "p95", "p99", "mean"],
    defaultStatistic: "p99",
    provenance: { kind: "paper", source: "test", method: "synthetic" },
    variants: [{ name: "a", points }],
  };
}

describe("profiles → fits and PerfModel", () => {
  it("fits each requested statistic separately", () => {
    const fits = fitProfile(measuredProfile(), { statistics: ["p50", "p99"], sloMs: 200 });
    expect(fits.map((f) => f.statistic)).toEqual(["p50", "p99"]);
    expect(fits[0]!.sponge!.coefficients.gammaMs).toBeCloseTo(K.gammaMs, 6);
    expect(fits[1]!.sponge!.coefficients.gammaMs).toBeCloseTo(K.gammaMs * 1.2, 6);
    expect(fits[1]!.capacity!.perCores.map((c) => c.cores)).toEqual([1, 2]);
    expect(fits[1]!.capacity!.line).toBeDefined();
  });

  it("answers measured points exactly and others from the fit, flagged outside the measured cores", () => {
    const m = perfModelFromProfile(measuredProfile());
    expect(m.variants()).toEqual(["a"]);
    expect(m.latency("a", 4, 2)).toEqual({ latencyMs: spongeLatencyMs(K, 4, 2) * 1.2, source: "measured", outsideMeasuredRange: false });
    const far = m.latency("a", 4, 8);
    expect(far).toMatchObject({ source: "model", outsideMeasuredRange: true });
    expect(far.latencyMs).toBeCloseTo(spongeLatencyMs(K, 4, 8) * 1.2, 6);
    expect(() => perfModelFromProfile(measuredProfile(), { fit: false }).latency("a", 4, 8)).toThrow("no fitted model");
  });

  it("names the point field a missing statistic would come from", () => {
    expect(() => variantPoints(measuredProfile(), "a", "reported")).toThrow("variants[0].points[0].reportedMs: missing");
    expect(() => perfModelFromProfile(measuredProfile(), { variants: ["b"] })).toThrow('variants: no variant "b" (has a)');
  });
});
