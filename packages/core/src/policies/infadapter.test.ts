import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createPerfModel, INFADAPTER_RESNETS } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForce } from "./brute-force.js";
import { decideInfAdapter, infAdapterCapacityRps, infAdapterConfigSchema, infAdapterEvaluate } from "./infadapter.js";
import type { PolicyInput } from "./types.js";

const solver = createHighsSolver();
afterAll(() => solver.close());

/** ResNets whose batch-1 latency reproduces InfAdapter's linear capacity lines (slope·c RPS at c cores, un-derated). */
function resnets(overrides: Partial<PolicyInput> = {}): PolicyInput {
  const perf = Object.fromEntries(INFADAPTER_RESNETS.variants.map((v) => [v.name, { fit: { gammaMs: 1000 / v.slopeRpsPerCore, deltaMs: 0, epsilonMs: 0, etaMs: 0 } }]));
  return {
    pipeline: "resnet", stages: [{ name: "cls", variants: INFADAPTER_RESNETS.variants.map((v) => ({ name: v.name, accuracy: v.accuracy, loadTimeMs: v.loadTimeMs })) }],
    perf: createPerfModel(perf), forecastRps: 100, sloMs: INFADAPTER_RESNETS.sloMs,
    limits: { maxCores: INFADAPTER_RESNETS.maxCores, batches: [1], coresPerReplica: [1], maxReplicas: 1 },
    ...overrides,
  };
}

describe("decideInfAdapter", () => {
  it("mixes variants at the burst: shares sum to 1 and capacity ≥ λ̂", async () => {
    // This MILP takes ≈ 1.5 s of HiGHS on a loaded 2-core machine: a generous limit, so the test
    // checks the decision, not the machine's speed.
    const config = infAdapterConfigSchema.parse({ solveTimeLimitMs: 60_000 });
    const d = await decideInfAdapter(resnets({ forecastRps: 250 }), undefined, config, 0, { solver });
    expect(d.explanation.status).toBe("optimal");
    const vs = d.stages[0]!.variants;
    expect(vs.reduce((s, v) => s + v.weight, 0)).toBeCloseTo(1, 9);
    const capacity = vs.reduce((s, v) => s + config.capacityDerate * v.replicas * (1000 / ((1000 / INFADAPTER_RESNETS.variants.find((x) => x.name === v.variant)!.slopeRpsPerCore) / v.coresPerReplica)), 0);
    expect(capacity).toBeGreaterThanOrEqual(250 - 1e-9);
    expect(vs.reduce((s, v) => s + v.coresPerReplica, 0)).toBeLessThanOrEqual(20);
    expect(vs.every((v) => v.coresPerReplica >= 2)).toBe(true);
  });

  it("matches brute force on 200 seeded random instances", { timeout: 120_000 }, async () => {
    const rng = createRng(4242);
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const nv = 1 + Math.floor(rng.next() * 3);
      const maxCores = 3 + Math.floor(rng.next() * 8);
      const base = resnets();
      const variants = base.stages[0]!.variants.slice(0, nv);
      const current = rng.next() < 0.5 ? [{ stage: "cls", variants: [{ variant: variants[0]!.name, weight: 1, batch: 1, coresPerReplica: 2 + Math.floor(rng.next() * 3), replicas: 1 }] }] : undefined;
      const input: PolicyInput = { ...base, stages: [{ name: "cls", variants }], forecastRps: 5 + rng.next() * 150, limits: { ...base.limits, maxCores }, ...(current ? { current } : {}) };
      const config = infAdapterConfigSchema.parse({ costWeight: rng.next() * 0.2, switchWeight: rng.next() * 0.05, minCoresPerVariant: 1 + Math.floor(rng.next() * 2) });
      const d = await decideInfAdapter(input, undefined, config, 0, { solver });
      const budget = input.sloMs;
      const prevCores = variants.map((v) => current?.[0]!.variants.find((x) => x.variant === v.name)?.coresPerReplica ?? 0);
      const grid = [0, ...Array.from({ length: maxCores - config.minCoresPerVariant + 1 }, (_, k) => k + config.minCoresPerVariant)];
      const brute = bruteForce(variants.map(() => grid), (cores) =>
        infAdapterEvaluate(variants, cores, (v, c) => infAdapterCapacityRps(input, variants[v]!, c, config, budget), input.forecastRps, maxCores, prevCores, config)?.objective);
      if (!brute) {
        expect(d.explanation.status).toBe("fallback");
        continue;
      }
      feasible++;
      expect(d.explanation.status, `instance ${i}`).toBe("optimal");
      expect(Math.abs(d.explanation.objective! - brute.objective), `instance ${i}`).toBeLessThan(1e-6);
      const vs = d.stages[0]!.variants;
      expect(vs.reduce((s, v) => s + v.weight, 0)).toBeCloseTo(1, 9);
      const cap = vs.reduce((s, v) => s + infAdapterCapacityRps(input, variants.find((x) => x.name === v.variant)!, v.coresPerReplica, config, budget), 0);
      expect(cap).toBeGreaterThanOrEqual(input.forecastRps - 1e-6);
    }
    expect(feasible).toBeGreaterThan(50);
    expect(feasible).toBeLessThan(200);
  });
});
