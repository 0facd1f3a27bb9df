import { describe, expect, it } from "vitest";
import { createRng, exponential, poisson } from "./rng.js";

describe("createRng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(createRng(7)));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(createRng(7)));
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(createRng(8)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("draws uniform numbers with the right mean", () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += rng.next();
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it("draws exponential and Poisson values with the requested means", () => {
    const rng = createRng(3);
    let e = 0;
    let p = 0;
    let q = 0;
    for (let i = 0; i < 50_000; i++) {
      e += exponential(rng, 4);
      p += poisson(rng, 5);
      q += poisson(rng, 80);
    }
    expect(e / 50_000).toBeCloseTo(0.25, 2);
    expect(p / 50_000).toBeCloseTo(5, 1);
    expect(q / 50_000 / 80).toBeCloseTo(1, 2);
  });
});
