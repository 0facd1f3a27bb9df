import { poisson, type Rng } from "../rng/index.js";

/** One request the load generator will send. */
export interface PlannedRequest {
  /** 0-based sequence number. */
  readonly seq: number;
  /** Send time, ms after the start of the run. */
  readonly atMs: number;
  /** The request's SLO (sent as `slo_ms`), ms. */
  readonly sloMs: number;
}

/** Per-request SLO: one value, or uniform in [minMs, maxMs] (Sponge's dynamic SLOs). */
export type SloSpec = { readonly fixedMs: number } | { readonly minMs: number; readonly maxMs: number };

/**
 * Plans a run from a per-second rate trace: second `i` gets a Poisson(`rates[i]`) number of
 * arrivals placed uniformly at random within it (a Poisson process, conditioned on its count), each
 * with an SLO drawn from `slo`. Deterministic by `rng`. Stops at `maxRequests`.
 */
export function planArrivals(ratesRps: readonly number[], slo: SloSpec, rng: Rng, maxRequests: number): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (let s = 0; s < ratesRps.length && out.length < maxRequests; s++) {
    const rate = ratesRps[s]!;
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`rate of second ${s} must be a finite number ≥ 0, got ${rate}`);
    const n = Math.min(poisson(rng, rate), maxRequests - out.length);
    const times = Array.from({ length: n }, () => s * 1000 + rng.next() * 1000).sort((a, b) => a - b);
    for (const atMs of times) {
      const sloMs = "fixedMs" in slo ? slo.fixedMs : slo.minMs + rng.next() * (slo.maxMs - slo.minMs);
      out.push({ seq: out.length, atMs, sloMs });
    }
  }
  return out;
}
