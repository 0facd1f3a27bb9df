import { PerfModelError } from "./errors.js";

/**
 * Coefficients of Sponge's batch/cores latency model `l(b,c) = γ·b/c + δ·b + ε/c + η`, all in ms
 * (docs/architecture.md#perf-model). γ is per-item work that parallelises over cores, δ per-item work that
 * does not, ε fixed work that parallelises, η fixed serial overhead. All four are ≥ 0 when fitted
 * with {@link fitSpongeLatency}.
 */
export interface SpongeCoefficients {
  readonly gammaMs: number;
  readonly deltaMs: number;
  readonly epsilonMs: number;
  readonly etaMs: number;
}

function checkPoint(batch: number, cores: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new PerfModelError(`batch must be an integer ≥ 1, got ${batch}`);
  if (!(cores > 0) || !Number.isFinite(cores)) throw new PerfModelError(`cores must be a finite number > 0, got ${cores}`);
}

/** Sponge's latency `l(b,c)` in ms for batch `b` on `c` cores. */
export function spongeLatencyMs(k: SpongeCoefficients, batch: number, cores: number): number {
  checkPoint(batch, cores);
  return (k.gammaMs * batch) / cores + k.deltaMs * batch + k.epsilonMs / cores + k.etaMs;
}

/** Per-replica throughput `h = b / l` in requests per second, for a batch latency in ms. */
export function throughputRps(batch: number, latencyMs: number): number {
  if (!(latencyMs > 0)) throw new PerfModelError(`latency must be > 0 ms, got ${latencyMs}`);
  return (batch * 1000) / latencyMs;
}

/**
 * Time to fill a batch of `b` at arrival rate λ, `(b−1)/λ`, in ms (IPA's queueing term). Charged
 * for the CHOSEN batch only; IPA's code applied it to the one-hot indicators instead, which made the
 * term negative (docs/architecture.md#from-ipa). A batch of 1 waits for nothing, whatever the rate.
 */
export function batchFillMs(batch: number, rateRps: number): number {
  checkPoint(batch, 1);
  if (batch === 1) return 0;
  if (!(rateRps > 0)) return Number.POSITIVE_INFINITY;
  return ((batch - 1) * 1000) / rateRps;
}

/** IPA's per-stage latency bound `L = l(b,c) + (b−1)/λ` in ms. */
export function stageBoundMs(latencyMs: number, batch: number, rateRps: number): number {
  return latencyMs + batchFillMs(batch, rateRps);
}

/**
 * Replicas needed to carry λ, `ceil(λ/h)`; 0 when λ is 0. A relative slack of 1e-9 keeps an exact
 * fit (λ = 2h computed as 2.0000000000000004·h) from costing an extra replica.
 */
export function replicasNeeded(rateRps: number, perReplicaRps: number): number {
  if (!(rateRps >= 0)) throw new PerfModelError(`rate must be ≥ 0 rps, got ${rateRps}`);
  if (rateRps === 0) return 0;
  if (!(perReplicaRps > 0)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.ceil(rateRps / perReplicaRps - 1e-9));
}
