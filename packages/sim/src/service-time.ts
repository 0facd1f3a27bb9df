import type { PerfModel } from "@fulcrum/core/perf";
import { normal, type Rng } from "@fulcrum/core/rng";

/** z of the standard normal's 0.99 quantile: turns a (p50, p99) pair into a lognormal σ. */
const Z99 = 2.3263478740408408;

/**
 * How long batches take on one (variant, cores): per batch size b (index b, 1..maxBatch), the
 * median service time and the σ of its lognormal spread (0 = deterministic).
 */
export interface ServiceTable {
  readonly medianMs: Float64Array;
  readonly sigma: Float64Array;
}

/**
 * The simulated data plane's ground truth: how long a batch really takes. Replicas read a
 * {@link ServiceTable} once per configuration and draw from it per batch, so the hot path does
 * no lookups by name.
 */
export interface ServiceTimeModel {
  /** The table for `variant` on `cores` cores, batches 1..`maxBatch`. @throws PerfModelError for an unknown variant or point */
  table(variant: string, cores: number, maxBatch: number): ServiceTable;
}

/** One draw of a batch's service time from a table row, ms. */
export function sampleServiceMs(table: ServiceTable, batch: number, rng: Rng): number {
  const m = table.medianMs[batch] as number;
  const s = table.sigma[batch] as number;
  return s > 0 ? m * Math.exp(s * normal(rng)) : m;
}

/** Options of {@link perfServiceTime}. */
export interface PerfServiceTimeOptions {
  /** Median (or the only known) batch latency, ms. */
  readonly median: PerfModel;
  /**
   * P99 batch latency, ms. For the variants it knows, service times are lognormal with that median
   * and `σ = ln(p99/p50)/z₀.₉₉` (0 where p99 ≤ p50); other variants are deterministic at the median.
   */
  readonly p99?: PerfModel;
}

/**
 * Service times from performance models (measured profiles, Sponge's grid and fit, the InfAdapter
 * capacity table): lognormal between the measured p50 and p99 when both are known, deterministic
 * at the one published number otherwise.
 */
export function perfServiceTime(options: PerfServiceTimeOptions): ServiceTimeModel {
  const cache = new Map<string, ServiceTable>();
  const spread = new Set(options.p99?.variants() ?? []);
  return {
    table(variant, cores, maxBatch) {
      const key = `${variant}\u0000${cores}\u0000${maxBatch}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const medianMs = new Float64Array(maxBatch + 1);
      const sigma = new Float64Array(maxBatch + 1);
      for (let b = 1; b <= maxBatch; b++) {
        const m = options.median.latency(variant, b, cores).latencyMs;
        medianMs[b] = m;
        if (options.p99 && spread.has(variant)) {
          const p = options.p99.latency(variant, b, cores).latencyMs;
          sigma[b] = p > m ? Math.log(p / m) / Z99 : 0;
        }
      }
      const t = { medianMs, sigma };
      cache.set(key, t);
      return t;
    },
  };
}
