import type { Rng } from "../rng/index.js";
import { createRng, normal } from "../rng/index.js";
import { fitToEnvelope } from "./envelope.js";
import type { SeriesStats } from "./stats.js";

/** IPA's four 20-minute evaluation patterns (docs/architecture.md#twitter-trace-windows). */
export const IPA_PATTERNS = ["bursty", "steady-low", "steady-high", "fluctuating"] as const;
/** One of IPA's four evaluation patterns. */
export type IpaPattern = (typeof IPA_PATTERNS)[number];

/**
 * Per-second RPS statistics of IPA's windows of the Twitter trace with damping 8, measured on the
 * vendored trace (docs/architecture.md#twitter-trace-windows). The generators reproduce them.
 */
export const IPA_PATTERN_STATS: Readonly<Record<IpaPattern, Readonly<SeriesStats>>> = {
  bursty: { min: 3, max: 34, mean: 12.0, std: 9.3 },
  "steady-low": { min: 3, max: 8, mean: 5.1, std: 0.9 },
  "steady-high": { min: 23, max: 34, mean: 28.8, std: 1.9 },
  fluctuating: { min: 3, max: 34, mean: 16.5, std: 9.4 },
};

/** Length of every IPA pattern in seconds (20 minutes). */
export const IPA_PATTERN_DURATION_S = 1200;

/** AR(1) noise with lag-1 correlation `phi` and unit stationary variance. */
function ar1(rng: Rng, length: number, phi: number): number[] {
  const out: number[] = [];
  const innovation = Math.sqrt(1 - phi * phi);
  let x = normal(rng);
  for (let i = 0; i < length; i++) {
    x = phi * x + innovation * normal(rng);
    out.push(x);
  }
  return out;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/**
 * A baseline with one burst that covers t = 500 s and is over well before the last 200 s, matching
 * IPA's bursty predicate (starts and ends at a baseline, burst around t = 500 s).
 */
function burstyShape(rng: Rng): number[] {
  const start = uniform(rng, 360, 420);
  const rampUp = uniform(rng, 40, 80);
  const hold = uniform(rng, 150, 240);
  const rampDown = uniform(rng, 60, 120);
  const slow = ar1(rng, IPA_PATTERN_DURATION_S, 0.97);
  const out: number[] = [];
  for (let t = 0; t < IPA_PATTERN_DURATION_S; t++) {
    let envelope = 0;
    if (t >= start && t < start + rampUp) envelope = (t - start) / rampUp;
    else if (t >= start + rampUp && t < start + rampUp + hold) envelope = 1;
    else if (t >= start + rampUp + hold) envelope = Math.max(0, 1 - (t - start - rampUp - hold) / rampDown);
    // Noise grows with the level, as counts of a busier stream do.
    out.push(4 * envelope + (0.25 + 0.35 * envelope) * (slow[t] as number) + 0.2 * normal(rng));
  }
  return out;
}

function steadyShape(rng: Rng, length: number): number[] {
  const slow = ar1(rng, length, 0.95);
  return slow.map((v) => v + 0.8 * normal(rng));
}

/** Two 10-minute segments, each a slow swing (1.5–4 cycles) with noise, concatenated. */
function fluctuatingShape(rng: Rng): number[] {
  const out: number[] = [];
  for (let segment = 0; segment < 2; segment++) {
    const cycles = uniform(rng, 1.5, 4);
    const phase = uniform(rng, 0, 2 * Math.PI);
    const slow = ar1(rng, 600, 0.98);
    for (let t = 0; t < 600; t++) {
      out.push(Math.sin(phase + (2 * Math.PI * cycles * t) / 600) + 0.25 * (slow[t] as number) + 0.12 * normal(rng));
    }
  }
  return out;
}

/**
 * Generates one of IPA's four 20-minute patterns as 1200 per-second integer RPS values whose
 * min/max/mean/std match {@link IPA_PATTERN_STATS}. Deterministic by `seed`.
 *
 * The shapes follow IPA's window predicates: `bursty` rises from a baseline to a burst around
 * t = 500 s and is back at the baseline for the last 200 s; `steady-high` is a 10-minute window
 * repeated twice; `fluctuating` is two 10-minute swinging windows concatenated.
 */
export function generateIpaPattern(pattern: IpaPattern, seed: number): number[] {
  const rng = createRng(seed);
  const target = IPA_PATTERN_STATS[pattern];
  switch (pattern) {
    case "bursty":
      return fitToEnvelope(burstyShape(rng), target);
    case "steady-low":
      return fitToEnvelope(steadyShape(rng, IPA_PATTERN_DURATION_S), target);
    case "steady-high": {
      const half = fitToEnvelope(steadyShape(rng, IPA_PATTERN_DURATION_S / 2), target);
      return [...half, ...half];
    }
    case "fluctuating":
      return fitToEnvelope(fluctuatingShape(rng), target);
  }
}
