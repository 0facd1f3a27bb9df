import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fitSpongeLatency, parseLatencyCsv, SPONGE_YOLOV5_GRID, SPONGE_YOLOV5_REPORTED_FIT, spongeLatencyMs } from "@fulcrum/core/perf";

// The published grid is the source of Sponge's numbers (`data/sponge/README.md`); core keeps one
// constant of it, which these tests hold to the file.
const csv = readFileSync(fileURLToPath(new URL("../../data/sponge/yolov5-grid.csv", import.meta.url)), "utf8");
const points = parseLatencyCsv(csv);

describe("Sponge's YOLOv5 grid (data/sponge/yolov5-grid.csv)", () => {
  it("is the 5 × 6 grid core carries as SPONGE_YOLOV5_GRID, point for point", () => {
    expect(points).toHaveLength(30);
    expect(SPONGE_YOLOV5_GRID.points).toEqual(points);
  });

  it("refits to Sponge's reported γ, δ, ε, η within 10 % on whole-ms latencies, as Sponge fitted it", () => {
    const whole = points.map((p) => ({ ...p, latencyMs: Math.trunc(p.latencyMs) }));
    const fit = fitSpongeLatency(whole);
    const ref = SPONGE_YOLOV5_REPORTED_FIT.coefficients;
    expect(fit.coefficients.gammaMs).toBeCloseTo(18.29, 1);
    for (const k of ["gammaMs", "deltaMs", "epsilonMs", "etaMs"] as const) {
      expect(Math.abs(fit.coefficients[k] / ref[k] - 1), k).toBeLessThan(0.1);
    }
    expect(fit.rmseMs).toBeCloseTo(SPONGE_YOLOV5_REPORTED_FIT.rmseMs, 1);
    expect(fit.maxErrorAt).toEqual({ batch: 8, cores: 1 });
    expect(fit.maxErrorMs).toBeCloseTo(-58.3, 1);

    // Fulcrum fits by non-negative least squares, Sponge by scipy's curve_fit (unbounded least
    // squares). They agree here: every coefficient is strictly positive and the least-squares
    // gradient Aᵀ(Ax − y) vanishes there, so the NNLS point is the unbounded minimum too.
    const c = fit.coefficients;
    expect(Math.min(c.gammaMs, c.deltaMs, c.epsilonMs, c.etaMs)).toBeGreaterThan(0.5);
    const features = (b: number, k: number): number[] => [b / k, b, 1 / k, 1];
    const gradient = [0, 0, 0, 0];
    for (const p of whole) {
      const residual = spongeLatencyMs(c, p.batch, p.cores) - p.latencyMs;
      features(p.batch, p.cores).forEach((f, j) => (gradient[j] = (gradient[j] as number) + f * residual));
    }
    for (const g of gradient) expect(Math.abs(g)).toBeLessThan(1e-6);
  });

  it("keeping the published digits moves only η (the whole-ms truncation lowers every point by 0.5 ms on average)", () => {
    const fit = fitSpongeLatency(points);
    expect(Math.abs(fit.coefficients.gammaMs / 18.29 - 1)).toBeLessThan(0.01);
    expect(fit.coefficients.etaMs).toBeGreaterThan(1.3);
  });
});
