import { createRng } from "@fulcrum/core/rng";
import type { Rng } from "@fulcrum/core/rng";

/**
 * Derives a 32-bit seed for one named part of a model (FNV-1a over the name, mixed with the base
 * seed), so adding a variant never changes the weights of another.
 */
export function deriveSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seeded weight source shared by one model build. */
export interface WeightSource {
  /**
   * `count` values uniform in ±gain·√(3/fanIn): variance gain²/fanIn (He init for ReLU when
   * gain = √2).
   */
  scaled(count: number, fanIn: number, gain: number): Float32Array;
  /** `count` values uniform in ±bound. */
  uniform(count: number, bound: number): Float32Array;
}

/** Creates a weight source whose output depends only on `seed` and the call sequence. */
export function createWeightSource(seed: number): WeightSource {
  const rng: Rng = createRng(seed);
  const uniform = (count: number, bound: number): Float32Array => {
    const out = new Float32Array(count);
    const twice = 2 * bound;
    for (let i = 0; i < count; i++) out[i] = (rng.next() - 0.5) * twice;
    return out;
  };
  return {
    uniform,
    scaled: (count, fanIn, gain) => uniform(count, gain * Math.sqrt(3 / fanIn)),
  };
}
