/**
 * A seeded source of uniform numbers in [0, 1). Core code never calls `Math.random`: every
 * random choice takes an `Rng` so simulations, traces and training are reproducible by seed.
 */
export interface Rng {
  /** Next uniform number in [0, 1). */
  next(): number;
}

/**
 * Creates a deterministic RNG (sfc32 seeded through splitmix32) from an integer seed.
 * The same seed always yields the same sequence on every platform.
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return {
    next(): number {
      // sfc32: small, fast and passes PractRand; 32-bit state words kept unsigned.
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
  };
}

/** Standard normal draw (Box–Muller; one value per call, the pair's twin is discarded for simplicity). */
export function normal(rng: Rng, mean = 0, std = 1): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  const v = rng.next();
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Exponential draw with the given rate (events per unit); mean = 1/rate. */
export function exponential(rng: Rng, rate: number): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return -Math.log(u) / rate;
}

/**
 * Poisson draw with mean `lambda`. Knuth's product method below 30, a rounded normal
 * approximation above (its error is negligible for request counts at that scale).
 */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rng.next();
    while (p > limit) {
      k += 1;
      p *= rng.next();
    }
    return k;
  }
  return Math.max(0, Math.round(normal(rng, lambda, Math.sqrt(lambda))));
}
