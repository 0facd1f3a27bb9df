import { describe, expect, it } from "vitest";
import { createRng } from "../rng/index.js";
import { createPerfModel } from "./perf-model.js";
import { fitSpongeLatency } from "./fit.js";
import { replicasNeeded, spongeLatencyMs, throughputRps } from "./latency-model.js";

describe("fitSpongeLatency", () => {
  it("recovers known coefficients from noiseless points", () => {
    const k = { gammaMs: 18.29, deltaMs: 4.488, epsilonMs: 45.47, etaMs: 1.05 };
    const pts = [1, 2, 4, 8, 16].flatMap((b) => [1, 2, 4, 8, 16, 32].map((c) => ({ batch: b, cores: c, latencyMs: spongeLatencyMs(k, b, c) })));
    const fit = fitSpongeLatency(pts);
    expect(fit.coefficients.gammaMs).toBeCloseTo(k.gammaMs, 6);
    expect(fit.coefficients.epsilonMs).toBeCloseTo(k.epsilonMs, 6);
    expect(fit.rmseMs).toBeLessThan(1e-6);
  });

  it("keeps coefficients non-negative on noisy data", () => {
    const rng = createRng(5);
    const pts = Array.from({ length: 40 }, () => ({ batch: 1 + Math.floor(rng.next() * 16), cores: 1 + Math.floor(rng.next() * 16), latencyMs: 5 + rng.next() * 3 }));
    const c = fitSpongeLatency(pts).coefficients;
    expect(Math.min(c.gammaMs, c.deltaMs, c.epsilonMs, c.etaMs)).toBeGreaterThanOrEqual(0);
  });
});

describe("createPerfModel", () => {
  const model = createPerfModel({ v: { measured: [{ batch: 1, cores: 1, latencyMs: 40 }, { batch: 4, cores: 2, latencyMs: 70 }], fit: { gammaMs: 20, deltaMs: 1, epsilonMs: 10, etaMs: 2 } } });

  it("prefers measured points and flags modeled points outside the measured range", () => {
    expect(model.latency("v", 1, 1)).toEqual({ latencyMs: 40, source: "measured", outsideMeasuredRange: false });
    expect(model.latency("v", 2, 2)).toMatchObject({ source: "model", outsideMeasuredRange: false });
    expect(model.latency("v", 8, 2)).toMatchObject({ source: "model", outsideMeasuredRange: true });
  });

  it("names the unknown variant", () => {
    expect(() => model.latency("w", 1, 1)).toThrow('unknown variant "w"');
  });

  it("computes throughput and replicas in closed form", () => {
    expect(throughputRps(4, 100)).toBe(40);
    expect(replicasNeeded(80, 40)).toBe(2);
    expect(replicasNeeded(80.1, 40)).toBe(3);
    expect(replicasNeeded(0, 40)).toBe(0);
  });
});
