import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { paretoFilter, type ParetoPoint } from "./pareto.js";

const dominates = (a: ParetoPoint, b: ParetoPoint): boolean => a.boundMs <= b.boundMs && a.totalCores <= b.totalCores && a.value >= b.value;
const same = (a: ParetoPoint, b: ParetoPoint): boolean => a.boundMs === b.boundMs && a.totalCores === b.totalCores && a.value === b.value;

describe("paretoFilter", () => {
  it("keeps exactly one of each non-dominated point, in (bound, cores, value)", () => {
    // Small integer ranges make ties and exact duplicates frequent.
    const point = fc.record({ boundMs: fc.integer({ min: 0, max: 6 }), totalCores: fc.integer({ min: 1, max: 6 }), value: fc.integer({ min: -4, max: 4 }) });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 60 }), (points) => {
        const kept = paretoFilter(points);
        // Nothing kept is dominated by another point, unless that point is its exact duplicate.
        for (const k of kept) expect(points.some((p) => dominates(p, k) && !same(p, k))).toBe(false);
        // Every point is dominated by (or equal to) a kept one.
        for (const p of points) expect(kept.some((k) => dominates(k, p))).toBe(true);
        // No duplicates kept.
        kept.forEach((a, i) => kept.slice(i + 1).forEach((b) => expect(same(a, b)).toBe(false)));
      }),
    );
  });

  it("drops a point that is worse in one criterion and equal in the others", () => {
    const a = { boundMs: 10, totalCores: 4, value: 1 };
    expect(paretoFilter([{ ...a, value: 0.5 }, a])).toEqual([a]);
    expect(paretoFilter([{ ...a, totalCores: 5 }, a])).toEqual([a]);
    expect(paretoFilter([{ ...a, boundMs: 11 }, a])).toEqual([a]);
    expect(paretoFilter([{ ...a, boundMs: 11, value: 2 }, a])).toHaveLength(2);
  });
});
