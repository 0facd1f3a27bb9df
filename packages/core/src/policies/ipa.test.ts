import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createPerfModel, spongeLatencyMs, stageBoundMs } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForceSingleChoice } from "./brute-force.js";
import { carriesForecast } from "./hysteresis.js";
import { decideIpa, ipaConfigSchema, ipaOptionValue } from "./ipa.js";
import { ipaCoresFor, stageOptions } from "./options.js";
import { compilePipeline, endToEndBoundMs } from "./pipeline.js";
import { randomInstance } from "./instances.js";
import type { PolicyInput } from "./types.js";

const solver = createHighsSolver();
afterAll(() => solver.close());
const deps = { solver };

function twoStage(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    pipeline: "video",
    stages: [
      { name: "det", variants: [{ name: "small", accuracy: 0.45 }, { name: "big", accuracy: 0.68 }] },
      { name: "cls", variants: [{ name: "r18", accuracy: 0.7 }, { name: "r50", accuracy: 0.76 }] },
    ],
    perf: createPerfModel({
      small: { fit: { gammaMs: 10, deltaMs: 1, epsilonMs: 5, etaMs: 1 } },
      big: { fit: { gammaMs: 40, deltaMs: 4, epsilonMs: 20, etaMs: 2 } },
      r18: { fit: { gammaMs: 8, deltaMs: 1, epsilonMs: 4, etaMs: 1 } },
      r50: { fit: { gammaMs: 20, deltaMs: 2, epsilonMs: 8, etaMs: 1 } },
    }),
    forecastRps: 10,
    sloMs: 300,
    limits: { maxCores: 64, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4], maxReplicas: 50 },
    ...overrides,
  };
}

describe("decideIpa", () => {
  it("charges the batch-fill term (b−1)/λ for the chosen batch (IPA's code made it negative)", async () => {
    // At λ = 10 rps a batch of 8 waits 700 ms to fill: far over the 300 ms SLO, although its
    // per-request cost is the lowest. IPA's buggy constraint would accept it.
    const input = twoStage({ forecastRps: 10, sloMs: 300 });
    const config = ipaConfigSchema.parse({ costPerBatch: 0 });
    const d = await decideIpa(input, undefined, config, 0, deps);
    expect(d.explanation.status).toBe("optimal");
    for (const c of d.explanation.chosen) {
      expect(c.boundMs).toBeCloseTo(c.latencyMs + ((c.batch - 1) * 1000) / 10, 9);
    }
    expect(d.explanation.endToEndBoundMs).toBeLessThanOrEqual(300);
    expect(d.explanation.chosen.every((c) => c.batch <= 3)).toBe(true);
  });

  it("never lets the stage bound decrease as the batch grows at fixed λ", () => {
    const rng = createRng(11);
    for (let i = 0; i < 500; i++) {
      const k = { gammaMs: 50 * rng.next(), deltaMs: 10 * rng.next(), epsilonMs: 50 * rng.next(), etaMs: 5 * rng.next() };
      const c = 1 + Math.floor(rng.next() * 16);
      const rate = 0.5 + rng.next() * 500;
      let prev = -Infinity;
      for (let b = 1; b <= 32; b++) {
        const bound = stageBoundMs(spongeLatencyMs(k, b, c), b, rate);
        expect(bound).toBeGreaterThanOrEqual(prev);
        prev = bound;
      }
    }
  });

  it("returns the maximum-capacity fallback with a reason when the SLO is unreachable", async () => {
    const input = twoStage({ sloMs: 2 });
    const d = await decideIpa(input, undefined, ipaConfigSchema.parse({}), 0, deps);
    expect(d.explanation.status).toBe("fallback");
    expect(d.explanation.fallback?.reason).toBe("latency-unreachable");
    expect(d.explanation.fallback?.detail).toContain('stage "det"');
    expect(d.stages.map((s) => s.stage)).toEqual(["det", "cls"]);
    expect(d.stages.every((s) => s.variants.length === 1 && s.variants[0]!.replicas >= 1)).toBe(true);
    // Maximum capacity: the cheapest-per-request variants.
    expect(d.stages.map((s) => s.variants[0]!.variant)).toEqual(["small", "r18"]);
  });

  it("reports an infeasible combination (per-stage feasible, jointly over the SLO) as infeasible", async () => {
    const input = twoStage({ sloMs: 8, forecastRps: 1 });
    const single = stageOptions(input, 0, 1, { coresFor: ipaCoresFor(input) }).map((o) => o.boundMs);
    expect(Math.min(...single)).toBeLessThan(8);
    const d = await decideIpa(input, undefined, ipaConfigSchema.parse({}), 0, deps);
    expect(d.explanation.fallback?.reason).toBe("infeasible");
  });

  it("returns invalid input as a fallback reason instead of throwing", async () => {
    const input = twoStage({ edges: [["det", "nope"]] });
    const d = await decideIpa(input, undefined, ipaConfigSchema.parse({}), 0, deps);
    expect(d.explanation.fallback).toEqual({ reason: "invalid-input", detail: "edge det → nope names an unknown stage" });
  });

  it("holds a scale-down until the N-th consecutive proposal while the current assignment carries λ̂", async () => {
    const input = twoStage({ forecastRps: 5 });
    const big = [
      { stage: "det", variants: [{ variant: "small", weight: 1, batch: 1, coresPerReplica: 4, replicas: 4 }] },
      { stage: "cls", variants: [{ variant: "r18", weight: 1, batch: 1, coresPerReplica: 4, replicas: 4 }] },
    ];
    expect(carriesForecast(input, big)).toBe(true);
    const config = ipaConfigSchema.parse({ scaleDownDelayIntervals: 3 });
    const d1 = await decideIpa({ ...input, current: big }, undefined, config, 0, deps);
    expect(d1.explanation.status).toBe("held");
    expect(d1.stages).toEqual(big);
    const d2 = await decideIpa({ ...input, current: big }, d1.state, config, 1, deps);
    expect(d2.explanation.status).toBe("held");
    const d3 = await decideIpa({ ...input, current: big }, d2.state, config, 2, deps);
    expect(d3.explanation.status).toBe("optimal");
    expect(d3.state.downscaleStreak).toBe(0);
    expect(d3.stages).not.toEqual(big);
  });

  it.each(["milp", "auto"] as const)("matches brute force on 200 seeded random instances with method %s (objective within 1e-6, feasible)", { timeout: 120_000 }, async (method) => {
    const rng = createRng(20240601);
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const input = randomInstance(rng, {
        stages: 1 + Math.floor(rng.next() * 3), variantsPerStage: 1 + Math.floor(rng.next() * 3),
        batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4], baseAllocation: rng.next() < 0.5, dag: rng.next() < 0.5,
        maxCores: 8 + Math.floor(rng.next() * 40), maxReplicas: 20,
      });
      const config = ipaConfigSchema.parse({
        method, accuracyAggregation: (["log", "sum", "average"] as const)[i % 3], costPerCore: rng.next() * 0.05, costPerBatch: rng.next() * 0.01,
      });
      const pipeline = compilePipeline(input);
      const all = input.stages.map((_, s) => stageOptions(input, s, input.forecastRps, { coresFor: ipaCoresFor(input) }));
      const value = (o: (typeof all)[number][number]): number => ipaOptionValue(config, o, input.stages.length);
      const brute = bruteForceSingleChoice(pipeline, all, value, input.sloMs, input.limits.maxCores);
      const d = await decideIpa(input, undefined, config, 0, deps);
      if (!brute) {
        expect(d.explanation.status, `instance ${i}`).toBe("fallback");
        continue;
      }
      feasible++;
      expect(d.explanation.status, `instance ${i}: ${JSON.stringify(d.explanation.fallback)}`).toBe("optimal");
      expect(Math.abs(d.explanation.objective! - brute.objective), `instance ${i}`).toBeLessThan(1e-6);
      expect(d.explanation.method).toBe(method === "milp" ? "milp" : "branch-and-bound");
      const bounds = input.stages.map((st) => d.explanation.chosen.find((c) => c.stage === st.name)!.boundMs);
      expect(endToEndBoundMs(pipeline, bounds)).toBeLessThanOrEqual(input.sloMs + 1e-7);
      expect(d.stages.reduce((s, st) => s + st.variants[0]!.replicas * st.variants[0]!.coresPerReplica, 0)).toBeLessThanOrEqual(input.limits.maxCores);
      expect(carriesForecast(input, d.stages)).toBe(true);
    }
    // The generator must produce both outcomes for the property to mean anything.
    expect(feasible).toBeGreaterThan(60);
    expect(feasible).toBeLessThan(200);
  });

  it("gives the same optimum with milp and branch-and-bound on 20 seeded IPA-size instances", { timeout: 120_000 }, async () => {
    // IPA's size, beyond brute force: 3 stages × 5 variants × 5 batches × cores 1–16.
    const rng = createRng(14);
    const shape = { stages: 3, variantsPerStage: 5, batches: [1, 2, 4, 8, 16], coresPerReplica: Array.from({ length: 16 }, (_, i) => i + 1), maxCores: 256, maxReplicas: 100 };
    for (let i = 0; i < 20; i++) {
      const input = { ...randomInstance(rng, shape), sloMs: 400 };
      const milp = await decideIpa(input, undefined, ipaConfigSchema.parse({ costPerCore: 0.01, method: "milp", solveTimeLimitMs: 60_000 }), 0, deps);
      const bb = await decideIpa(input, undefined, ipaConfigSchema.parse({ costPerCore: 0.01, method: "branch-and-bound" }), 0, deps);
      expect(milp.explanation.status, `instance ${i}`).toBe("optimal");
      expect(bb.explanation.status, `instance ${i}`).toBe("optimal");
      expect(Math.abs(milp.explanation.objective! - bb.explanation.objective!), `instance ${i}`).toBeLessThan(1e-6);
    }
  });
});
