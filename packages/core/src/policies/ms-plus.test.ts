import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createPerfModel, INFADAPTER_RESNETS } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForce } from "./brute-force.js";
import { infAdapterCapacityRps, infAdapterEvaluate } from "./infadapter.js";
import { decideMsPlus, msPlusConfigSchema } from "./ms-plus.js";
import type { PolicyInput } from "./types.js";

const solver = createHighsSolver();
afterAll(() => solver.close());

function resnets(): PolicyInput {
  const perf = Object.fromEntries(INFADAPTER_RESNETS.variants.map((v) => [v.name, { fit: { gammaMs: 1000 / v.slopeRpsPerCore, deltaMs: 0, epsilonMs: 0, etaMs: 0 } }]));
  return {
    pipeline: "resnet",
    stages: [{ name: "cls", variants: INFADAPTER_RESNETS.variants.map((v) => ({ name: v.name, accuracy: v.accuracy, loadTimeMs: v.loadTimeMs })) }],
    perf: createPerfModel(perf),
    forecastRps: 100,
    sloMs: INFADAPTER_RESNETS.sloMs,
    limits: { maxCores: INFADAPTER_RESNETS.maxCores, batches: [1], coresPerReplica: [1], maxReplicas: 1 },
  };
}

describe("decideMsPlus", () => {
  it("matches brute force over single-variant configurations on 200 seeded random instances", async () => {
    const rng = createRng(777);
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const base = resnets();
      const variants = base.stages[0]!.variants.slice(0, 2 + Math.floor(rng.next() * 4));
      const maxCores = 3 + Math.floor(rng.next() * 10);
      const current = rng.next() < 0.5 ? [{ stage: "cls", variants: [{ variant: variants[Math.floor(rng.next() * variants.length)]!.name, weight: 1, batch: 1, coresPerReplica: 2 + Math.floor(rng.next() * 3), replicas: 1 }] }] : undefined;
      const input: PolicyInput = { ...base, stages: [{ name: "cls", variants }], forecastRps: 5 + rng.next() * 150, limits: { ...base.limits, maxCores }, ...(current ? { current } : {}) };
      const config = msPlusConfigSchema.parse({ costWeight: rng.next() * 0.2, switchWeight: rng.next() * 0.05, minCoresPerVariant: 1 + Math.floor(rng.next() * 2) });
      const d = await decideMsPlus(input, undefined, config, 0, { solver });
      const full = { ...config, maxActiveVariants: 1 };
      const prevCores = variants.map((v) => current?.[0]!.variants.find((x) => x.variant === v.name)?.coresPerReplica ?? 0);
      const grid = [0, ...Array.from({ length: maxCores - config.minCoresPerVariant + 1 }, (_, k) => k + config.minCoresPerVariant)];
      const brute = bruteForce(variants.map(() => grid), (cores) =>
        cores.filter((c) => c > 0).length !== 1
          ? undefined
          : infAdapterEvaluate(variants, cores, (v, c) => infAdapterCapacityRps(input, variants[v]!, c, full, input.sloMs), input.forecastRps, maxCores, prevCores, full)?.objective,
      );
      if (!brute) {
        expect(d.explanation.status, `instance ${i}`).toBe("fallback");
        continue;
      }
      feasible++;
      expect(d.explanation.status, `instance ${i}`).toBe("optimal");
      expect(Math.abs(d.explanation.objective! - brute.objective), `instance ${i}`).toBeLessThan(1e-6);
      const vs = d.stages[0]!.variants.filter((v) => v.weight > 0);
      expect(vs).toHaveLength(1);
      expect(vs[0]!.weight).toBeCloseTo(1, 9);
      expect(infAdapterCapacityRps(input, variants.find((x) => x.name === vs[0]!.variant)!, vs[0]!.coresPerReplica, full, input.sloMs)).toBeGreaterThanOrEqual(input.forecastRps - 1e-6);
    }
    expect(feasible).toBeGreaterThan(50);
    expect(feasible).toBeLessThan(200);
  });
});
