import { describe, expect, it } from "vitest";
import { fitProfile, perfModelFromProfile } from "./profile-fit.js";
import { INFADAPTER_RESNETS, SPONGE_YOLOV5_GRID, SPONGE_YOLOV5_REPORTED_FIT } from "./paper-data.js";
import { INFADAPTER_RESNET_PROFILE, PAPER_PROFILES, SPONGE_YOLOV5_PROFILE } from "./paper-profiles.js";
import { formatProfile, parseProfileJson } from "./profile-schema.js";
import { spongeLatencyMs } from "./latency-model.js";

describe("paper-derived profiles", () => {
  it("are valid profile documents with paper provenance", () => {
    for (const p of Object.values(PAPER_PROFILES)) {
      expect(parseProfileJson(formatProfile(p))).toEqual(p);
      expect(p.provenance.kind).toBe("paper");
      expect(p.provenance.tag).toBeDefined();
    }
  });

  it("Sponge: the stated grid points at the unnamed 'reported' statistic, planned with the reported fit", () => {
    expect(SPONGE_YOLOV5_PROFILE.variants[0]!.points).toHaveLength(SPONGE_YOLOV5_GRID.points.length);
    const m = perfModelFromProfile(SPONGE_YOLOV5_PROFILE);
    expect(m.latency("yolov5n", 16, 4)).toEqual({ latencyMs: 169, source: "measured", outsideMeasuredRange: false });
    expect(m.latency("yolov5n", 8, 1).latencyMs).toBeCloseTo(spongeLatencyMs(SPONGE_YOLOV5_REPORTED_FIT.coefficients, 8, 1), 9);
  });

  it("Sponge: refitting the 12 stated points recovers γ and δ within 10% but not ε and η", () => {
    // The b=2,4,8 rows that pin ε and η are not in the published set (docs/architecture.md#sponge-yolov5-grid); the gap is documented, not hidden.
    const fit = fitProfile(SPONGE_YOLOV5_PROFILE)[0]!.sponge!;
    const ref = SPONGE_YOLOV5_REPORTED_FIT.coefficients;
    expect(Math.abs(fit.coefficients.gammaMs / ref.gammaMs - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.coefficients.deltaMs / ref.deltaMs - 1)).toBeLessThan(0.1);
    const epsEtaOff = Math.abs(fit.coefficients.epsilonMs / ref.epsilonMs - 1) > 0.1 || Math.abs(fit.coefficients.etaMs / ref.etaMs - 1) > 0.1;
    expect(epsEtaOff).toBe(true);
    expect(fit.worstUnderPredictionMs).toBeGreaterThan(0);
  });

  it("InfAdapter: capacity lines become batch-1 service times, flagged outside cores 1..16 or at b > 1", () => {
    const m = perfModelFromProfile(INFADAPTER_RESNET_PROFILE);
    const r18 = INFADAPTER_RESNETS.variants[0]!;
    expect(m.latency("resnet18", 1, 8)).toEqual({ latencyMs: 1000 / (r18.slopeRpsPerCore * 8 + r18.interceptRps), source: "model", outsideMeasuredRange: false });
    expect(m.latency("resnet18", 1, 20).outsideMeasuredRange).toBe(true);
    expect(m.latency("resnet18", 2, 8).outsideMeasuredRange).toBe(true);
    expect(INFADAPTER_RESNET_PROFILE.variants.map((v) => v.loadTimeMs)).toEqual(INFADAPTER_RESNETS.variants.map((v) => v.loadTimeMs));
  });
});
