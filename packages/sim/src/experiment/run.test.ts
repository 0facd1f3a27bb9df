import { createHighsSolver } from "@fulcrum/solver";
import { afterAll, describe, expect, it } from "vitest";
import { smallData, smallExperiment } from "../testing/experiment-fixture.js";
import { runExperiment } from "./run.js";
import { parseExperiment } from "./schema.js";

const solver = createHighsSolver();
afterAll(() => solver.close());

const spec = parseExperiment(smallExperiment({ policies: [
  { name: "ipa", policy: "ipa", baseAllocation: { thresholdRps: 4 } },
  { name: "fa2-low", policy: "fa2", config: { variants: { detector: "yolov5n", classifier: "resnet18" } } },
  { name: "fulcrum", policy: "fulcrum", actuation: { mode: "in-place" }, config: { accuracyWeight: 2, costPerCore: 1 } },
] }), "t");

describe("runExperiment", () => {
  it("is deterministic per seed, and the seed matters", async () => {
    const a = await runExperiment(spec, smallData(), { solver }, { seed: 3 });
    const b = await runExperiment(spec, smallData(), { solver }, { seed: 3 });
    const c = await runExperiment(spec, smallData(), { solver }, { seed: 4 });
    expect(b).toEqual(a);
    expect(c.summary.policies).not.toEqual(a.summary.policies);
  }, 300_000);

  it("accounts for every request of every run, and summarises per pattern and as means", async () => {
    const out = await runExperiment(spec, smallData(), { solver }, { paper: { note: "x" } });
    const trace = smallData().twitter;
    const perPattern = { flat: trace.slice(0, 120).reduce((s, x) => s + x, 0), ramp: trace.slice(120, 240).reduce((s, x) => s + x, 0) };
    for (const [pattern, x] of Object.entries(out.summary.patterns!)) {
      for (const p of Object.values(x.policies)) {
        expect(p.requests).toBe(perPattern[pattern as keyof typeof perPattern]);
        expect(p.violations).toBe(p.late + p.dropped + p.rejected + p.unavailable);
        expect(p.attainment).toBeCloseTo((p.requests - p.violations) / p.requests, 12);
      }
    }
    const flat = out.summary.patterns!.flat!.policies.ipa!;
    const ramp = out.summary.patterns!.ramp!.policies.ipa!;
    expect(out.summary.policies.ipa!.meanCores).toBeCloseTo((flat.meanCores + ramp.meanCores) / 2, 12);
    expect(out.summary.paper).toEqual({ note: "x" });
    expect(out.timeseries.runs).toHaveLength(6);
    for (const r of out.timeseries.runs) {
      expect(r.series.arrivals.reduce((s, x) => s + x, 0)).toBe(perPattern[r.pattern as keyof typeof perPattern]);
      expect(r.series.cores).toHaveLength(120);
    }
    // FA2-low never leaves its pinned variants: PAS 45.7 × 69.758.
    expect(out.summary.policies["fa2-low"]!.meanAccuracy).toBeCloseTo(0.457 * 0.69758 * 100, 9);
  }, 300_000);
});
