import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createPerfModel, throughputRps } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForceFulcrum } from "./brute-force.js";
import { effectiveBudgetMs, tightestBudgetMs } from "./budget.js";
import { decideFulcrum, fulcrumConfigSchema, fulcrumOptions, fulcrumShedPenaltyPerUnit, fulcrumStartShortfallRps, fulcrumSwitchCostMs } from "./fulcrum.js";
import { randomInstance } from "./instances.js";
import { compilePipeline, endToEndBoundMs } from "./pipeline.js";
import { POLICIES } from "./registry.js";
import type { PolicyInput } from "./types.js";

const solver = createHighsSolver();
afterAll(() => solver.close());
const deps = { solver };

/** One stage, two variants: `light` (fast, less accurate) and `heavy` (slow, more accurate); l = γ·b/c + η. */
function twoVariants(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    pipeline: "p",
    stages: [{ name: "cls", variants: [{ name: "light", accuracy: 0.7, loadTimeMs: 2000 }, { name: "heavy", accuracy: 0.8, loadTimeMs: 4000 }] }],
    perf: createPerfModel({
      light: { fit: { gammaMs: 20, deltaMs: 0, epsilonMs: 0, etaMs: 1 } },
      heavy: { fit: { gammaMs: 100, deltaMs: 0, epsilonMs: 0, etaMs: 2 } },
    }),
    forecastRps: 50,
    sloMs: 200,
    limits: { maxCores: 8, batches: [1, 2, 4], coresPerReplica: [1, 2, 4], maxReplicas: 8 },
    ...overrides,
  };
}

/** Capacity of an assignment stage per variant: replicas · h(b, c). */
function capacities(input: PolicyInput, d: Awaited<ReturnType<typeof decideFulcrum>>): { variant: string; capacityRps: number; weight: number }[] {
  return d.stages.flatMap((st) =>
    st.variants.map((v) => ({ variant: v.variant, weight: v.weight, capacityRps: v.replicas * throughputRps(v.batch, input.perf.latency(v.variant, v.batch, v.coresPerReplica).latencyMs) })),
  );
}

describe("decideFulcrum", () => {
  it("degrades to the cheaper variant under overload instead of rejecting, and sheds only when even that cannot carry λ̂", async () => {
    const config = fulcrumConfigSchema.parse({ shareUnits: 4, accuracyWeight: 10 });
    // 8 cores of heavy carry 8·1000/102 ≈ 78 rps at most; light carries 8·1000/21 ≈ 380 rps.
    const d = await decideFulcrum(twoVariants({ forecastRps: 300 }), undefined, config, 0, deps);
    expect(d.explanation.status).toBe("optimal");
    expect(d.explanation.admittedFraction).toBe(1);
    expect(d.explanation.terms.shed).toBe(0);
    const caps = capacities(twoVariants(), d);
    expect(caps.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    for (const c of caps) expect(c.capacityRps).toBeGreaterThanOrEqual(c.weight * 300 - 1e-9);
    expect(caps.find((c) => c.variant === "light")!.weight).toBeGreaterThanOrEqual(0.75);
    // Beyond what light can carry on all 8 cores: admit the largest grid fraction it can carry.
    const overInput = twoVariants({ forecastRps: 1000 });
    const over = await decideFulcrum(overInput, undefined, config, 0, deps);
    expect(over.explanation.status).toBe("optimal");
    // Heavy cannot carry even a quarter (250 rps) within 8 cores, light carries a quarter but not half.
    const opts = fulcrumOptions(overInput, config)[0]!;
    expect(opts.filter((o) => o.variant === "heavy")).toEqual([]);
    expect(opts.filter((o) => o.units >= 2)).toEqual([]);
    expect(over.explanation.admittedFraction).toBe(0.25);
    expect(over.explanation.terms.shed).toBeLessThan(0);
    expect(over.stages[0]!.variants.map((v) => v.variant)).toEqual(["light"]);
    const admitted = over.explanation.admittedFraction! * 1000;
    const overCaps = capacities(twoVariants(), over);
    expect(overCaps.reduce((s, c) => s + c.capacityRps, 0)).toBeGreaterThanOrEqual(admitted - 1e-9);
    expect(over.explanation.notes?.[0]).toContain("overload");
  });

  it("mixes variants when the accurate one cannot carry λ̂ alone: shares sum to 1 and every share is carried", async () => {
    // heavy carries ≈ 10 rps per core (≤ 80 rps on 8 cores), light ≈ 50 rps per core.
    const input = twoVariants({ forecastRps: 100 });
    const d = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 4, accuracyWeight: 10 }), 0, deps);
    expect(d.explanation.status).toBe("optimal");
    const caps = capacities(input, d);
    expect(caps.map((c) => c.variant).sort()).toEqual(["heavy", "light"]);
    expect(caps.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    for (const c of caps) expect(c.capacityRps).toBeGreaterThanOrEqual(c.weight * 100 - 1e-9);
    expect(d.stages[0]!.variants.reduce((s, v) => s + v.replicas * v.coresPerReplica, 0)).toBeLessThanOrEqual(8);
    expect(d.explanation.terms.accuracy).toBeGreaterThan(10 * Math.log(0.7));
  });

  it("prefers changing cores in place over adding replicas when the objective otherwise ties", async () => {
    const input: PolicyInput = {
      ...twoVariants(),
      stages: [{ name: "cls", variants: [{ name: "light", accuracy: 0.7, loadTimeMs: 2000 }] }],
      perf: createPerfModel({ light: { fit: { gammaMs: 40, deltaMs: 0, epsilonMs: 0, etaMs: 0 } } }),
      forecastRps: 90,
      limits: { maxCores: 16, batches: [1], coresPerReplica: [2, 4], maxReplicas: 4 },
      current: [{ stage: "cls", variants: [{ variant: "light", weight: 1, batch: 1, coresPerReplica: 2, replicas: 1 }] }],
    };
    // h(1,2) = 50 rps, h(1,4) = 100 rps: 90 rps needs 1×4 cores (in place) or 2×2 cores (one cold start), both 4 cores.
    const tie = fulcrumConfigSchema.parse({ shareUnits: 1, switchCostPerSecond: 0 });
    const opts = fulcrumOptions(input, tie)[0]!;
    const inPlace = opts.find((o) => o.cores === 4 && o.replicas === 1)!;
    const scaleOut = opts.find((o) => o.cores === 2 && o.replicas === 2)!;
    // Tied but for the start-up loss: the kept 2-core replica carries 50 of the 90 rps while the new one starts.
    expect(inPlace.startupLoss).toBe(0);
    expect(scaleOut.startShortfallRps).toBe(40);
    expect(scaleOut.startMs).toBe(1000 + 2000);
    expect(scaleOut.startupLoss).toBeGreaterThan(0);
    expect(inPlace.value).toBeCloseTo(scaleOut.value + scaleOut.startupLoss, 12);
    expect(inPlace.switchMs).toBe(50);
    expect(scaleOut.switchMs).toBe(1000 + 2000);

    const d = await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 1 }), 0, deps);
    expect(d.explanation.status).toBe("optimal");
    expect(d.stages[0]!.variants).toEqual([{ variant: "light", weight: 1, batch: 1, coresPerReplica: 4, replicas: 1 }]);
    expect(d.explanation.terms.switch).toBeCloseTo(-0.001 * 0.05, 12);
  });

  /**
   * One variant whose cores help less and less (l(1, c) = 40/c + 10 ms: h = 20, 33.3, 50 rps on 1, 2,
   * 4 cores), running one 2-core replica. Without the start-up loss, 45 rps is cheapest on three
   * 1-core replicas (3 cores, two cold starts) rather than the running replica grown to 4 cores.
   */
  function diminishing(forecastRps: number): PolicyInput {
    return {
      ...twoVariants(),
      stages: [{ name: "cls", variants: [{ name: "light", accuracy: 0.7, loadTimeMs: 2000 }] }],
      perf: createPerfModel({ light: { fit: { gammaMs: 40, deltaMs: 0, epsilonMs: 0, etaMs: 10 } } }),
      forecastRps,
      limits: { maxCores: 16, batches: [1], coresPerReplica: [1, 2, 4], maxReplicas: 4 },
      current: [{ stage: "cls", variants: [{ variant: "light", weight: 1, batch: 1, coresPerReplica: 2, replicas: 1 }] }],
    };
  }

  it.each(["branch-and-bound", "milp"] as const)("grows the running replica in place when that carries λ̂, though new replicas would need fewer cores (%s)", async (method) => {
    const config = fulcrumConfigSchema.parse({ shareUnits: 1, method });
    const input = diminishing(45);
    const d = await decideFulcrum(input, undefined, config, 0, deps);
    expect(d.explanation.status).toBe("optimal");
    expect(d.stages[0]!.variants).toEqual([{ variant: "light", weight: 1, batch: 1, coresPerReplica: 4, replicas: 1 }]);
    expect(d.explanation.terms.startup).toBeCloseTo(0, 12);
    const opts = fulcrumOptions(input, config)[0]!;
    const inPlace = opts.find((o) => o.cores === 4 && o.replicas === 1)!;
    const scaleOut = opts.find((o) => o.cores === 1 && o.replicas === 3)!;
    // Before the start-up loss the scale-out is the better option: one core less, two cold starts.
    expect(scaleOut.value + scaleOut.startupLoss).toBeGreaterThan(inPlace.value);
    // The kept replica, moved to 1 core, carries 20 of the 45 rps for the 3 s the new ones take.
    expect(scaleOut.startShortfallRps).toBeCloseTo(25, 9);
    expect(scaleOut.startMs).toBe(3000);
    const P0 = fulcrumShedPenaltyPerUnit([opts.map((o) => ({ ...o, value: o.value + o.startupLoss }))]);
    expect(scaleOut.startupLoss).toBeCloseTo(P0 * (25 / 45) * 3, 9);
  });

  it.each(["branch-and-bound", "milp"] as const)("still scales out when growing in place cannot carry λ̂, keeping the most capacity through the start (%s)", async (method) => {
    const config = fulcrumConfigSchema.parse({ shareUnits: 1, method });
    // 120 rps: one replica carries at most 50 (4 cores). Cheapest in cores is 4×2 (133 rps, 8 cores),
    // but its kept replica carries 33 rps during the start; 3×4 (12 cores) keeps 50.
    const d = await decideFulcrum(diminishing(120), undefined, config, 0, deps);
    expect(d.explanation.status).toBe("optimal");
    expect(d.explanation.admittedFraction).toBe(1);
    expect(d.stages[0]!.variants).toEqual([{ variant: "light", weight: 1, batch: 1, coresPerReplica: 4, replicas: 3 }]);
    const opts = fulcrumOptions(diminishing(120), config)[0]!;
    const chosen = opts.find((o) => o.cores === 4 && o.replicas === 3)!;
    expect(chosen.startShortfallRps).toBeCloseTo(70, 9);
    expect(d.explanation.terms.startup).toBeCloseTo(-chosen.startupLoss, 12);
    expect(d.explanation.terms.shed).toBe(0);
  });

  it("counts as start-up shortfall only what the kept replicas of a growing, running variant cannot carry", () => {
    const cur = { variant: "v", weight: 1, batch: 1, coresPerReplica: 2, replicas: 2 };
    expect(fulcrumStartShortfallRps(cur, 100, 3, 40)).toBe(20);
    expect(fulcrumStartShortfallRps(cur, 70, 3, 40)).toBe(0);
    expect(fulcrumStartShortfallRps(cur, 100, 2, 60)).toBe(0);
    expect(fulcrumStartShortfallRps(cur, 10, 1, 40)).toBe(0);
    expect(fulcrumStartShortfallRps(undefined, 100, 3, 40)).toBe(0);
    expect(fulcrumStartShortfallRps({ ...cur, replicas: 0 }, 100, 3, 40)).toBe(0);
  });

  it("charges cold starts per new replica and in-place changes per kept replica", () => {
    const cfg = { inPlaceChangeMs: 50, replicaStartMs: 1000 };
    const cur = { variant: "v", weight: 1, batch: 4, coresPerReplica: 2, replicas: 3 };
    expect(fulcrumSwitchCostMs(cfg, 500, cur, 2, 3)).toBe(0);
    expect(fulcrumSwitchCostMs(cfg, 500, cur, 4, 3)).toBe(150);
    expect(fulcrumSwitchCostMs(cfg, 500, cur, 4, 2)).toBe(100);
    expect(fulcrumSwitchCostMs(cfg, 500, cur, 2, 5)).toBe(2 * 1500);
    expect(fulcrumSwitchCostMs(cfg, 500, undefined, 2, 2)).toBe(2 * 1500);
  });

  it("meets the tightest pending budget (a low quantile), not the SLO alone", async () => {
    const config = fulcrumConfigSchema.parse({ shareUnits: 2 });
    const loose = await decideFulcrum(twoVariants({ forecastRps: 20 }), undefined, config, 0, deps);
    const x = loose.explanation.endToEndBoundMs! / 2;
    // Two tight requests among twenty; the last observed budget is loose (what Sponge's code used).
    const pendingMs = [x, x, ...Array.from({ length: 18 }, () => 1000)];
    const tight = await decideFulcrum(twoVariants({ forecastRps: 20, budgets: { pendingMs } }), undefined, config, 0, deps);
    expect(tight.explanation.status).toBe("optimal");
    expect(tight.explanation.budgetMs).toBeCloseTo(x, 9);
    expect(tight.explanation.budgetMs).toBeLessThan(200);
    expect(tight.explanation.endToEndBoundMs).toBeLessThanOrEqual(tight.explanation.budgetMs! + 1e-7);
    expect(loose.explanation.endToEndBoundMs).toBeGreaterThan(tight.explanation.budgetMs!);
  });

  it("returns the maximum-capacity fallback with a reason when no configuration meets the budget", async () => {
    const d = await decideFulcrum(twoVariants({ sloMs: 1 }), undefined, fulcrumConfigSchema.parse({}), 0, deps);
    expect(d.explanation.status).toBe("fallback");
    expect(d.explanation.fallback?.reason).toBe("latency-unreachable");
    expect(d.stages[0]!.variants[0]!.variant).toBe("light");
    const bad = await POLICIES.fulcrum.decide(twoVariants({ edges: [["cls", "nope"]] }), undefined, {}, 0, deps);
    expect(bad.explanation.fallback).toEqual({ reason: "invalid-input", detail: "edge cls → nope names an unknown stage" });
    await expect(POLICIES.fulcrum.decide(twoVariants(), undefined, { shareUnits: 0 }, 0, deps)).rejects.toThrow(/invalid fulcrum config: shareUnits/);
  });

  it.each(["branch-and-bound", "milp"] as const)("matches brute force on 200 seeded enumerable instances with method %s (objective within 1e-6, feasible, shares sum to 1)", { timeout: 120_000 }, async (method) => {
    const rng = createRng(60606);
    let feasible = 0;
    let shed = 0;
    let mixed = 0;
    for (let i = 0; i < 200; i++) {
      const stages = 1 + Math.floor(rng.next() * 3);
      const variantsPerStage = stages === 3 ? 1 + Math.floor(rng.next() * 2) : 1 + Math.floor(rng.next() * 3);
      const base = randomInstance(rng, {
        stages, variantsPerStage, batches: [1, 2], coresPerReplica: [1, 2], dag: rng.next() < 0.5,
        maxCores: 2 + Math.floor(rng.next() * 14), maxReplicas: 4,
      });
      const G = stages === 3 ? 1 + Math.floor(rng.next() * 2) : 2 + Math.floor(rng.next() * 2);
      const current = rng.next() < 0.5
        ? base.stages.map((st) => ({ stage: st.name, variants: [{ variant: st.variants[0]!.name, weight: 1, batch: 1, coresPerReplica: 1 + Math.floor(rng.next() * 2), replicas: 1 + Math.floor(rng.next() * 2) }] }))
        : undefined;
      const budgets = rng.next() < 0.3 ? { pendingMs: Array.from({ length: 5 }, () => 20 + rng.next() * 100 * stages) } : undefined;
      const input: PolicyInput = { ...base, ...(current ? { current } : {}), ...(budgets ? { budgets } : {}) };
      const config = fulcrumConfigSchema.parse({
        shareUnits: G, accuracyWeight: rng.next() * 5, accuracyAggregation: (["log", "sum", "average"] as const)[i % 3], costPerCore: rng.next() * 0.02, costPerBatch: rng.next() * 0.01,
        switchCostPerSecond: rng.next() * 0.01, sloMarginFraction: rng.next() < 0.3 ? 0.1 : 0,
        ...(rng.next() < 0.2 ? { maxVariantsPerStage: 1 + (i % 2) } : {}), ...(rng.next() < 0.3 ? { batchFillRate: "variant" } : {}), method,
      });
      const budgetMs = effectiveBudgetMs(input.sloMs, config.sloMarginFraction, tightestBudgetMs(input.budgets, config.budgetQuantile));
      const pipeline = compilePipeline(input);
      const all = fulcrumOptions(input, config);
      const brute = bruteForceFulcrum(pipeline, all, G, budgetMs, input.limits.maxCores, config.maxVariantsPerStage);
      const d = await decideFulcrum(input, undefined, config, 0, deps);
      if (!brute) {
        expect(d.explanation.status, `instance ${i}`).toBe("fallback");
        continue;
      }
      feasible++;
      const expected = brute.value - fulcrumShedPenaltyPerUnit(all) * (G - brute.admittedUnits);
      expect(d.explanation.status, `instance ${i}: ${JSON.stringify(d.explanation.fallback)}`).toBe("optimal");
      expect(d.explanation.method).toBe(method);
      expect(d.explanation.admittedFraction, `instance ${i}`).toBeCloseTo(brute.admittedUnits / G, 12);
      expect(Math.abs(d.explanation.objective! - expected), `instance ${i}`).toBeLessThan(1e-6);
      if (brute.admittedUnits < G) shed++;
      if (d.stages.some((st) => st.variants.length > 1)) mixed++;
      // Feasible: shares sum to 1, capacity carries each share of the admitted rate, cores and paths within limits.
      const admittedRps = input.forecastRps * d.explanation.admittedFraction!;
      for (const st of d.stages) {
        expect(st.variants.reduce((s, v) => s + v.weight, 0), `instance ${i}`).toBeCloseTo(1, 9);
        if (config.maxVariantsPerStage) expect(st.variants.length).toBeLessThanOrEqual(config.maxVariantsPerStage);
        for (const v of st.variants) {
          const l = input.perf.latency(v.variant, v.batch, v.coresPerReplica).latencyMs;
          expect(v.replicas * throughputRps(v.batch, l)).toBeGreaterThanOrEqual(v.weight * admittedRps - 1e-6);
        }
      }
      expect(d.stages.reduce((s, st) => s + st.variants.reduce((a, v) => a + v.replicas * v.coresPerReplica, 0), 0)).toBeLessThanOrEqual(input.limits.maxCores);
      const stageBounds = input.stages.map((st) => Math.max(...d.explanation.chosen.filter((c) => c.stage === st.name).map((c) => c.boundMs)));
      expect(endToEndBoundMs(pipeline, stageBounds)).toBeLessThanOrEqual(budgetMs + 1e-7);
    }
    // The generator must produce every outcome for the property to mean anything.
    expect(feasible).toBeGreaterThan(60);
    expect(feasible).toBeLessThan(200);
    expect(shed).toBeGreaterThan(5);
    expect(mixed).toBeGreaterThan(2);
  });
});
