import { describe, expect, it } from "vitest";
import { createPerfModel, SPONGE_YOLOV5_REPORTED_FIT } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForce } from "./brute-force.js";
import { decideSponge, spongeConfigSchema, spongePoint } from "./sponge.js";
import type { PolicyInput } from "./types.js";

function yolo(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    pipeline: "p", stages: [{ name: "yolo", variants: [{ name: "yolov5n", accuracy: 0.457 }] }],
    perf: createPerfModel({ yolov5n: { fit: SPONGE_YOLOV5_REPORTED_FIT.coefficients } }),
    forecastRps: 100, sloMs: 1000,
    limits: { maxCores: 64, batches: [1], coresPerReplica: [1], maxReplicas: 1 },
    ...overrides,
  };
}

describe("decideSponge", () => {
  it("meets the tightest pending budget (a low quantile), not the last observed one", async () => {
    // Last observed budget is relaxed (950 ms) but most pending requests have ~60 ms left.
    const pendingMs = [55, 60, 62, 65, 70, 70, 75, 80, 90, 950];
    const d = await decideSponge(yolo({ budgets: { pendingMs } }), undefined, spongeConfigSchema.parse({ budgetQuantile: 0.1 }), 0);
    expect(d.explanation.budgetMs).toBeCloseTo(59.5, 6);
    expect(d.explanation.chosen[0]!.boundMs).toBeLessThanOrEqual(59.5);
    const lastValue = await decideSponge(yolo({ budgets: { pendingMs: [950] } }), undefined, spongeConfigSchema.parse({}), 0);
    expect(d.explanation.chosen[0]!.coresPerReplica).toBeGreaterThan(lastValue.explanation.chosen[0]!.coresPerReplica);
  });

  it("returns the minimal cores, then the minimal batch (200 seeded instances vs brute force)", async () => {
    const rng = createRng(99);
    const config = spongeConfigSchema.parse({ maxCores: 8, maxBatch: 8 });
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const input = yolo({ forecastRps: 1 + rng.next() * 300, budgets: { pendingMs: Array.from({ length: 20 }, () => 20 + rng.next() * 300) } });
      const d = await decideSponge(input, undefined, config, 0);
      const budget = d.explanation.budgetMs!;
      const grid = Array.from({ length: 8 }, (_, c) => Array.from({ length: 8 }, (_, b) => ({ c: c + 1, b: b + 1 }))).flat();
      const brute = bruteForce([grid], ([p]) => (spongePoint(input, "yolov5n", p!.b, p!.c, budget) ? -(p!.c * 9 + p!.b) : undefined));
      if (!brute) {
        expect(d.explanation.status).toBe("fallback");
        continue;
      }
      feasible++;
      expect(d.explanation.objective).toBe(brute.objective);
      const c = d.explanation.chosen[0]!;
      expect(c.throughputRps).toBeGreaterThanOrEqual(input.forecastRps);
      expect(c.boundMs).toBeLessThanOrEqual(budget);
    }
    expect(feasible).toBeGreaterThan(50);
    expect(feasible).toBeLessThan(200);
  });

  it("falls back with a reason when no point is feasible", async () => {
    const d = await decideSponge(yolo({ forecastRps: 5000 }), undefined, spongeConfigSchema.parse({}), 0);
    expect(d.explanation.fallback?.reason).toBe("infeasible");
  });
});
