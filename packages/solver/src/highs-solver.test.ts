import { afterAll, describe, expect, it } from "vitest";
import type { LinearModel } from "@fulcrum/core/policies";
import { createHighsSolver } from "./highs-solver.js";

const solver = createHighsSolver();
afterAll(() => solver.close());

/** max x + y s.t. x + 2y ≤ 4, x,y ∈ {0..3} integer → x=3, y=0 (objective 3). */
const smallMip: LinearModel = {
  sense: "maximize",
  variables: [
    { name: "x", type: "integer", lower: 0, upper: 3, objective: 1 },
    { name: "y", type: "integer", lower: 0, upper: 3, objective: 1 },
  ],
  constraints: [{ name: "cap", vars: [0, 1], coefs: [1, 2], lower: -Infinity, upper: 4 }],
};

/** A 0/1 knapsack with enough items that branch and bound needs real work. */
function knapsack(n: number, seed: number): LinearModel {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const weights = Array.from({ length: n }, () => 10 + Math.floor(rand() * 90));
  return {
    sense: "maximize",
    variables: weights.map((w, i) => ({ name: `x${i}`, type: "binary", lower: 0, upper: 1, objective: w + Math.floor(rand() * 10) })),
    constraints: [{ name: "w", vars: weights.map((_, i) => i), coefs: weights, lower: -Infinity, upper: weights.reduce((a, b) => a + b, 0) / 2 }],
  };
}

describe("createHighsSolver", () => {
  it("solves a small MIP to optimality off the main thread", async () => {
    const r = await solver.solve(smallMip, { timeLimitMs: 5000 });
    expect(r.status).toBe("optimal");
    expect(r.objective).toBeCloseTo(3, 9);
    expect(r.values).toEqual([3, 0]);
    expect(r.solveMs).toBeGreaterThanOrEqual(0);
  });

  it("honours the objective offset and minimisation", async () => {
    const r = await solver.solve({ ...smallMip, sense: "minimize", objectiveOffset: 10 }, { timeLimitMs: 5000 });
    expect(r.status).toBe("optimal");
    expect(r.objective).toBeCloseTo(10, 9);
  });

  it("returns infeasible as a result, not an exception", async () => {
    const infeasible: LinearModel = { ...smallMip, constraints: [{ name: "low", vars: [0, 1], coefs: [1, 1], lower: 7, upper: Infinity }] };
    const r = await solver.solve(infeasible, { timeLimitMs: 5000 });
    expect(r.status).toBe("infeasible");
    expect(r.values).toBeUndefined();
  });

  it("returns a bad model as an error result naming the row", async () => {
    const bad: LinearModel = { ...smallMip, constraints: [{ name: "oops", vars: [0, 5], coefs: [1, 1], lower: 0, upper: 1 }] };
    const r = await solver.solve(bad, { timeLimitMs: 5000 });
    expect(r.status).toBe("error");
    expect(r.message).toContain('"oops"');
  });

  it("stops at the time limit and reports it", async () => {
    const r = await solver.solve(knapsack(400, 7), { timeLimitMs: 1 });
    // A 1 ms limit cannot prove optimality of a 400-item knapsack with a 1e-9 gap.
    expect(r.status).toBe("time-limit");
  });

  it("keeps the event loop free while solving", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const r = await solver.solve(knapsack(60, 3), { timeLimitMs: 2000 });
    clearInterval(timer);
    expect(["optimal", "time-limit"]).toContain(r.status);
    // The timer kept firing during the solve: the WASM run is not on this thread.
    expect(ticks).toBeGreaterThan(0);
  });

  it("serialises concurrent solves and returns each its own answer", async () => {
    const results = await Promise.all([1, 2, 3].map((k) => solver.solve({ ...smallMip, constraints: [{ name: "cap", vars: [0, 1], coefs: [1, 2], lower: -Infinity, upper: k }] }, { timeLimitMs: 5000 })));
    expect(results.map((r) => r.objective)).toEqual([1, 2, 3]);
  });

  it("rejects solves after close", async () => {
    const s = createHighsSolver();
    await s.close();
    await expect(s.solve(smallMip, { timeLimitMs: 100 })).rejects.toThrow("solver is closed");
  });
});
