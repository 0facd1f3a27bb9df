import { describe, expect, it } from "vitest";
import { generateIpaPattern, IPA_PATTERN_DURATION_S, IPA_PATTERN_STATS, IPA_PATTERNS } from "./ipa-patterns.js";
import { seriesStats } from "./stats.js";

const SEEDS = Array.from({ length: 25 }, (_, i) => i * 7919 + 1);

describe("generateIpaPattern", () => {
  for (const pattern of IPA_PATTERNS) {
    it(`${pattern}: min/max/mean/std within 15% of the measured window for every seed`, () => {
      const target = IPA_PATTERN_STATS[pattern];
      for (const seed of SEEDS) {
        const trace = generateIpaPattern(pattern, seed);
        expect(trace).toHaveLength(IPA_PATTERN_DURATION_S);
        expect(trace.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
        const got = seriesStats(trace);
        for (const key of ["min", "max", "mean", "std"] as const) {
          expect(Math.abs(got[key] - target[key]) / target[key], `${pattern} seed ${seed} ${key}=${got[key]}`).toBeLessThanOrEqual(0.15);
        }
      }
    });
  }

  it("is deterministic by seed and differs across seeds", () => {
    expect(generateIpaPattern("bursty", 3)).toEqual(generateIpaPattern("bursty", 3));
    expect(generateIpaPattern("bursty", 3)).not.toEqual(generateIpaPattern("bursty", 4));
  });

  it("bursty starts and ends at a baseline with a burst around t = 500 s", () => {
    for (const seed of SEEDS) {
      const w = generateIpaPattern("bursty", seed);
      const head = seriesStats(w.slice(0, 60)).mean;
      const tail = seriesStats(w.slice(-200)).mean;
      const burst = seriesStats(w.slice(480, 520)).mean;
      expect(Math.abs(head - tail)).toBeLessThan(5);
      expect(burst - head).toBeGreaterThan(0.5 * (34 - 3));
    }
  });

  it("steady-high is a 10-minute window repeated twice", () => {
    const w = generateIpaPattern("steady-high", 11);
    expect(w.slice(600)).toEqual(w.slice(0, 600));
  });

  it("fluctuating swings over more than half the range in each 10-minute half", () => {
    for (const seed of SEEDS) {
      const w = generateIpaPattern("fluctuating", seed);
      for (const half of [w.slice(0, 600), w.slice(600)]) {
        const s = seriesStats(half);
        expect(s.max - s.min).toBeGreaterThan(15);
      }
    }
  });
});
