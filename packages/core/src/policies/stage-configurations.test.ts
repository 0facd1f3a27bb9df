import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../rng/index.js";
import { enumerateStageConfigurations, maxStageValue, type ShareOption, type StageConfiguration } from "./stage-configurations.js";

interface Opt extends ShareOption {
  readonly id: number;
}

/** Random options of `variants` variants, a few per (variant, units), with integer cores. */
function randomOptions(rng: Rng, variants: number, units: number): Opt[] {
  const out: Opt[] = [];
  for (let v = 0; v < variants; v++) {
    for (let u = 1; u <= units; u++) {
      const n = 1 + Math.floor(rng.next() * 4);
      for (let i = 0; i < n; i++) {
        out.push({ id: out.length, variantIndex: v, units: u, boundMs: Math.round(rng.next() * 50), totalCores: 1 + Math.floor(rng.next() * 8), value: Math.round(rng.next() * 20) / 10 - 1 });
      }
    }
  }
  return out;
}

/** Every configuration: per variant nothing or one option, ≥ 1 option, ≤ maxVariants, Σ units ≤ G. */
function allConfigurations(options: readonly Opt[], G: number, maxVariants: number): StageConfiguration<Opt>[] {
  const variants = [...new Set(options.map((o) => o.variantIndex))];
  const out: StageConfiguration<Opt>[] = [];
  const walk = (i: number, sel: Opt[]): void => {
    if (i === variants.length) {
      const units = sel.reduce((s, o) => s + o.units, 0);
      if (sel.length === 0 || sel.length > maxVariants || units > G) return;
      out.push({ units, boundMs: Math.max(...sel.map((o) => o.boundMs)), totalCores: sel.reduce((s, o) => s + o.totalCores, 0), value: sel.reduce((s, o) => s + o.value, 0), options: [...sel] });
      return;
    }
    walk(i + 1, sel);
    for (const o of options.filter((x) => x.variantIndex === variants[i])) walk(i + 1, [...sel, o]);
  };
  walk(0, []);
  return out;
}

describe("enumerateStageConfigurations", () => {
  it("returns valid configurations that dominate every configuration brute force finds, per units", () => {
    const rng = createRng(4242);
    for (let trial = 0; trial < 60; trial++) {
      const G = 1 + Math.floor(rng.next() * 4);
      const options = randomOptions(rng, 1 + Math.floor(rng.next() * 4), G);
      const maxVariants = trial % 3 === 0 ? 1 + Math.floor(rng.next() * 2) : Infinity;
      const maxCores = 6 + Math.floor(rng.next() * 20);
      const maxBoundMs = 20 + rng.next() * 40;
      const r = enumerateStageConfigurations(options, { units: G, maxVariants, maxCores, maxBoundMs, maxGenerated: 1e7 })!;
      const eligible = options.filter((o) => o.totalCores <= maxCores && o.boundMs <= maxBoundMs);
      const brute = allConfigurations(eligible, G, maxVariants).filter((c) => c.totalCores <= maxCores);
      for (let u = 1; u <= G; u++) {
        const frontier = r.byUnits[u]!;
        for (const c of frontier) {
          // Valid: distinct variants, consistent aggregates, within the limits.
          expect(new Set(c.options.map((o) => o.variantIndex)).size, `trial ${trial}`).toBe(c.options.length);
          expect(c.options.length).toBeLessThanOrEqual(maxVariants);
          expect(c.options.reduce((s, o) => s + o.units, 0)).toBe(u);
          expect(c.units).toBe(u);
          expect(c.boundMs).toBe(Math.max(...c.options.map((o) => o.boundMs)));
          expect(c.totalCores).toBe(c.options.reduce((s, o) => s + o.totalCores, 0));
          expect(c.value).toBeCloseTo(c.options.reduce((s, o) => s + o.value, 0), 12);
          expect(c.totalCores).toBeLessThanOrEqual(maxCores);
          expect(c.boundMs).toBeLessThanOrEqual(maxBoundMs);
        }
        for (const b of brute.filter((c) => c.units === u)) {
          const covered = frontier.some((c) => c.boundMs <= b.boundMs && c.totalCores <= b.totalCores && c.value >= b.value - 1e-12);
          expect(covered, `trial ${trial}: units ${u} config ${b.options.map((o) => o.id).join("+")} not dominated`).toBe(true);
        }
      }
    }
  });

  it("with a target, returns only configurations of that many units at or above the value floor, still dominating every such one", () => {
    const rng = createRng(777);
    let nonTrivial = 0;
    for (let trial = 0; trial < 60; trial++) {
      const G = 2 + Math.floor(rng.next() * 3);
      const options = randomOptions(rng, 2 + Math.floor(rng.next() * 3), G);
      const caps = { units: G, maxCores: 10 + Math.floor(rng.next() * 20), maxBoundMs: 30 + rng.next() * 30 };
      const eligible = options.filter((o) => o.totalCores <= caps.maxCores && o.boundMs <= caps.maxBoundMs);
      const maxVariants = trial % 4 === 0 ? 2 : Infinity;
      const all = allConfigurations(eligible, G, Infinity).filter((c) => c.units === G);
      // maxStageValue: the best G-unit value, bounds and cores ignored (the variant limit too).
      expect(maxStageValue(options, caps), `trial ${trial}`).toBeCloseTo(all.length > 0 ? Math.max(...all.map((c) => c.value)) : -Infinity, 12);
      const wanted = all.filter((c) => c.options.length <= maxVariants && c.totalCores <= caps.maxCores);
      const minValue = wanted.length > 0 ? wanted[Math.floor(rng.next() * wanted.length)]!.value : 0;
      const r = enumerateStageConfigurations(options, { ...caps, maxVariants, maxGenerated: 1e7, target: { units: G, minValue } })!;
      r.byUnits.forEach((configs, u) => {
        if (u !== G) expect(configs).toEqual([]);
      });
      for (const c of r.byUnits[G]!) {
        expect(c.value).toBeGreaterThanOrEqual(minValue - 1e-9);
        expect(c.options.reduce((s, o) => s + o.units, 0)).toBe(G);
        expect(c.options.length).toBeLessThanOrEqual(maxVariants);
      }
      const above = wanted.filter((c) => c.value >= minValue);
      if (above.length < wanted.length) nonTrivial++;
      for (const b of above) {
        expect(r.byUnits[G]!.some((c) => c.boundMs <= b.boundMs && c.totalCores <= b.totalCores && c.value >= b.value - 1e-12), `trial ${trial}`).toBe(true);
      }
    }
    // The floor must actually cut configurations in a good share of the trials.
    expect(nonTrivial).toBeGreaterThan(20);
  });

  it("gives up when the work limit is exceeded", () => {
    const options = randomOptions(createRng(7), 4, 4);
    const limits = { units: 4, maxVariants: Infinity, maxCores: 100, maxBoundMs: 100 };
    const full = enumerateStageConfigurations(options, { ...limits, maxGenerated: 1e7 })!;
    expect(full.generated).toBeGreaterThan(10);
    expect(enumerateStageConfigurations(options, { ...limits, maxGenerated: full.generated - 1 })).toBeUndefined();
    expect(enumerateStageConfigurations(options, { ...limits, maxGenerated: full.generated })?.generated).toBe(full.generated);
  });
});
