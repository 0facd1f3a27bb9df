import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pickWeighted, type WeightedCandidate, type WrrState } from "./weighted-round-robin.js";

function run(candidates: WeightedCandidate[], n: number, state: WrrState = new Map()): { picks: string[]; state: WrrState } {
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = pickWeighted(candidates, state);
    state = p.state;
    if (p.key !== undefined) picks.push(p.key);
  }
  return { picks, state };
}

describe("pickWeighted (smooth WRR)", () => {
  it("interleaves 3:1 as a a b a rather than bunching", () => {
    expect(run([{ key: "a", weight: 3 }, { key: "b", weight: 1 }], 8).picks).toEqual(["a", "a", "b", "a", "a", "a", "b", "a"]);
  });

  it("splits by fractional weights exactly over a full cycle", () => {
    const { picks } = run([{ key: "x", weight: 0.7 }, { key: "y", weight: 0.2 }, { key: "z", weight: 0.1 }], 100);
    expect(picks.filter((k) => k === "x")).toHaveLength(70);
    expect(picks.filter((k) => k === "y")).toHaveLength(20);
    expect(picks.filter((k) => k === "z")).toHaveLength(10);
  });

  it("never picks a zero or invalid weight, and picks nothing from an empty set", () => {
    expect(run([{ key: "a", weight: 0 }, { key: "b", weight: 1 }, { key: "c", weight: Number.NaN }], 5).picks).toEqual(Array(5).fill("b"));
    expect(pickWeighted([]).key).toBeUndefined();
    expect(pickWeighted([{ key: "a", weight: -1 }]).key).toBeUndefined();
  });

  it("drops removed candidates from the state so a new split takes effect at once", () => {
    const first = run([{ key: "a", weight: 1 }, { key: "b", weight: 1 }], 3);
    const { picks, state } = run([{ key: "c", weight: 1 }, { key: "b", weight: 3 }], 4, first.state);
    expect([...state.keys()].sort()).toEqual(["b", "c"]);
    expect(picks.filter((k) => k === "b")).toHaveLength(3);
  });

  it("keeps every prefix within one pick of the exact proportion", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 200 }), (weights, n) => {
        const cands = weights.map((w, i) => ({ key: `v${i}`, weight: w }));
        const total = weights.reduce((a, b) => a + b, 0);
        const { picks } = run(cands, n);
        return cands.every((c) => Math.abs(picks.filter((k) => k === c.key).length - (n * c.weight) / total) <= cands.length);
      }),
    );
  });
});
