import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createRng } from "../rng/index.js";
import { decideFulcrum, fulcrumConfigSchema } from "./fulcrum.js";
import { randomInstance } from "./instances.js";
import type { PolicyInput } from "./types.js";

const solver = createHighsSolver();
afterAll(() => solver.close());
const deps = { solver };

describe("fulcrum exact search (branch and bound over stage configurations)", () => {
  it("agrees with the MILP on 16 seeded instances too large for brute force", { timeout: 120_000 }, async () => {
    const rng = createRng(1414);
    let shed = 0;
    let mixed = 0;
    let optimal = 0;
    for (let i = 0; i < 16; i++) {
      const base = randomInstance(rng, {
        stages: 2, variantsPerStage: 3, batches: [1, 2, 4], coresPerReplica: [1, 2], dag: i % 3 === 0, maxCores: 4 + Math.floor(rng.next() * 20), maxReplicas: 8,
      });
      const current = i % 2 === 0
        ? base.stages.map((st) => ({ stage: st.name, variants: [{ variant: st.variants[1]!.name, weight: 1, batch: 2, coresPerReplica: 2, replicas: 2 }] }))
        : undefined;
      // Up to 4× the drawn load, so that some instances must shed.
      const input: PolicyInput = { ...base, ...(current ? { current } : {}), forecastRps: base.forecastRps * (1 + (i % 4)) };
      const raw = {
        shareUnits: 3 + (i % 2), accuracyWeight: 5, costPerCore: 0.01, switchCostPerSecond: 0.005, solveTimeLimitMs: 120_000, ...(i % 5 === 0 ? { maxVariantsPerStage: 2 } : {}),
      };
      const bb = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ ...raw, method: "branch-and-bound" }), 0, deps);
      const milp = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ ...raw, method: "milp" }), 0, deps);
      expect(bb.explanation.status, `instance ${i}`).toBe(milp.explanation.status);
      expect(bb.explanation.fallback?.reason, `instance ${i}`).toBe(milp.explanation.fallback?.reason);
      if (milp.explanation.status !== "optimal") continue;
      optimal++;
      expect(bb.explanation.method).toBe("branch-and-bound");
      expect(milp.explanation.method).toBe("milp");
      expect(bb.explanation.admittedFraction, `instance ${i}`).toBe(milp.explanation.admittedFraction);
      expect(Math.abs(bb.explanation.objective! - milp.explanation.objective!), `instance ${i}`).toBeLessThan(1e-6);
      expect(bb.explanation.endToEndBoundMs!).toBeLessThanOrEqual(bb.explanation.budgetMs! + 1e-7);
      if (bb.explanation.admittedFraction! < 1) shed++;
      if (bb.stages.some((st) => st.variants.length > 1)) mixed++;
    }
    // The instances must exercise overload, variant mixes and infeasibility for the check to mean much.
    expect(optimal).toBeGreaterThan(8);
    expect(optimal).toBeLessThan(16);
    expect(shed).toBeGreaterThan(0);
    expect(mixed).toBeGreaterThan(0);
  });

  it("hands over to the MILP at its node limit under auto, and falls back under branch-and-bound alone", async () => {
    const input: PolicyInput = { ...randomInstance(createRng(3), { stages: 2, variantsPerStage: 3, batches: [1, 2, 4], coresPerReplica: [1, 2, 4], maxCores: 64, maxReplicas: 8 }), sloMs: 300 };
    const exact = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 4 }), 0, deps);
    expect(exact.explanation.status).toBe("optimal");
    expect(exact.explanation.method).toBe("branch-and-bound");
    const auto = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 4, branchAndBoundNodeLimit: 5 }), 0, deps);
    expect(auto.explanation.method).toBe("milp");
    expect(auto.explanation.status).toBe("optimal");
    expect(auto.explanation.objective!).toBeCloseTo(exact.explanation.objective!, 9);
    const only = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 4, branchAndBoundNodeLimit: 5, method: "branch-and-bound" }), 0, deps);
    expect(only.explanation.status).toBe("fallback");
    expect(only.explanation.method).toBe("branch-and-bound");
    expect(only.explanation.fallback).toEqual({ reason: "solver-time-limit", detail: "node limit 5 reached" });
  });
});
