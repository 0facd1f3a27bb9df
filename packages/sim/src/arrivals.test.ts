import { createRng } from "@fulcrum/core/rng";
import { describe, expect, it } from "vitest";
import { explicitArrivals, traceArrivals, type ArrivalSource } from "./arrivals.js";

function drain(src: ArrivalSource): Array<{ t: number; b: number }> {
  const out: Array<{ t: number; b: number }> = [];
  while (src.next()) out.push({ t: src.timeMs, b: src.budgetMs });
  return out;
}

describe("traceArrivals", () => {
  it("puts exactly count[t] requests in second t, sorted, with the second's budget", () => {
    const got = drain(traceArrivals({ countsPerSecond: [3, 0, 5, 1], sloMs: 100, budgetsMs: [900, 800], rng: createRng(1) }));
    expect(got.length).toBe(9);
    const perSecond = [0, 0, 0, 0];
    for (const a of got) perSecond[Math.floor(a.t / 1000)]! += 1;
    expect(perSecond).toEqual([3, 0, 5, 1]);
    for (let i = 1; i < got.length; i++) expect(got[i]!.t).toBeGreaterThanOrEqual(got[i - 1]!.t);
    expect(got.filter((a) => a.t < 1000).every((a) => a.b === 900)).toBe(true);
    expect(got.filter((a) => a.t >= 2000 && a.t < 3000).every((a) => a.b === 900)).toBe(true);
    expect(got.filter((a) => a.t >= 3000).every((a) => a.b === 800)).toBe(true);
  });

  it("spreads arrivals uniformly within the second (Poisson given the count)", () => {
    const got = drain(traceArrivals({ countsPerSecond: new Array(200).fill(50), sloMs: 100, rng: createRng(2) }));
    const offsets = got.map((a) => a.t % 1000);
    const mean = offsets.reduce((s, x) => s + x, 0) / offsets.length;
    expect(mean).toBeGreaterThan(490);
    expect(mean).toBeLessThan(510);
    const firstQuarter = offsets.filter((x) => x < 250).length / offsets.length;
    expect(firstQuarter).toBeGreaterThan(0.24);
    expect(firstQuarter).toBeLessThan(0.26);
  });

  it("scales counts, rounding fractions at random so the expected total is exact", () => {
    expect(drain(traceArrivals({ countsPerSecond: [2, 3], scale: 100, sloMs: 1, rng: createRng(3) })).length).toBe(500);
    const n = drain(traceArrivals({ countsPerSecond: new Array(4000).fill(1), scale: 0.25, sloMs: 1, rng: createRng(4) })).length;
    expect(n).toBeGreaterThan(900);
    expect(n).toBeLessThan(1100);
  });

  it("is deterministic per seed", () => {
    const a = drain(traceArrivals({ countsPerSecond: [7, 9, 4], sloMs: 1, rng: createRng(9) }));
    const b = drain(traceArrivals({ countsPerSecond: [7, 9, 4], sloMs: 1, rng: createRng(9) }));
    const c = drain(traceArrivals({ countsPerSecond: [7, 9, 4], sloMs: 1, rng: createRng(10) }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("names the bad option", () => {
    expect(() => traceArrivals({ countsPerSecond: [1, -1], sloMs: 1, rng: createRng(1) })).toThrow(/countsPerSecond\[1\]/);
    expect(() => traceArrivals({ countsPerSecond: [1], scale: 0, sloMs: 1, rng: createRng(1) })).toThrow(/scale/);
    expect(() => traceArrivals({ countsPerSecond: [1], sloMs: 1, budgetsMs: [], rng: createRng(1) })).toThrow(/budgetsMs/);
  });
});

describe("explicitArrivals", () => {
  it("replays the list and rejects time going backwards", () => {
    expect(drain(explicitArrivals([{ timeMs: 0, budgetMs: 5 }, { timeMs: 2, budgetMs: 6 }]))).toEqual([{ t: 0, b: 5 }, { t: 2, b: 6 }]);
    expect(() => explicitArrivals([{ timeMs: 3, budgetMs: 1 }, { timeMs: 2, budgetMs: 1 }])).toThrow(/\[1\]\.timeMs/);
  });
});
