import { PerfModelError } from "./errors.js";
import type { MeasuredLatency } from "./perf-model.js";

/** The capacity of one replica size at an SLO. */
export interface CapacityPoint {
  readonly cores: number;
  /** Highest sustainable rate within the SLO, rps (0 when no measured batch meets it). */
  readonly capacityRps: number;
  /** Batch that achieves it, or `undefined` when none meets the SLO. */
  readonly batch: number | undefined;
  /** Worst-case request latency at that rate and batch, ms (`l·(2b−1)/b`). */
  readonly boundMs: number | undefined;
}

/**
 * InfAdapter's capacity per core count, from a latency profile instead of a load test: at core
 * count c, the largest `h = b/l(b,c)` over measured batches whose worst request still meets the
 * SLO when the rate equals h: it waits `(b−1)/h` for its batch to fill (IPA's term) and then
 * `l(b,c)` to be served, `l·(2b−1)/b ≤ sloMs`. The latency statistic is the caller's (InfAdapter
 * used P99). At exactly that rate a real queue grows without bound, which is why InfAdapter
 * derates capacity (×0.8) before using it; this function does not.
 */
export function capacityAtSlo(points: readonly MeasuredLatency[], sloMs: number): CapacityPoint[] {
  if (!(sloMs > 0)) throw new PerfModelError(`SLO must be > 0 ms, got ${sloMs}`);
  const cores = [...new Set(points.map((p) => p.cores))].sort((a, b) => a - b);
  return cores.map((c) => {
    let best: CapacityPoint = { cores: c, capacityRps: 0, batch: undefined, boundMs: undefined };
    for (const p of points) {
      if (p.cores !== c) continue;
      if (!(p.latencyMs > 0)) throw new PerfModelError(`bad measured latency ${p.latencyMs} ms at b=${p.batch} c=${c}`);
      const boundMs = (p.latencyMs * (2 * p.batch - 1)) / p.batch;
      const h = (1000 * p.batch) / p.latencyMs;
      if (boundMs <= sloMs && h > best.capacityRps) best = { cores: c, capacityRps: h, batch: p.batch, boundMs };
    }
    return best;
  });
}

/** InfAdapter's linear capacity model, `capacity(c) = slope·c + intercept`, with its fit error. */
export interface CapacityLineFit {
  readonly slopeRpsPerCore: number;
  readonly interceptRps: number;
  readonly rmseRps: number;
  /**
   * Largest predicted − measured capacity, rps (0 if it never over-predicts): over-stated capacity
   * is what overloads replicas, the capacity analogue of a latency under-prediction.
   */
  readonly worstOverPredictionRps: number;
  readonly coresMeasured: readonly number[];
}

/**
 * Ordinary least squares of capacity on cores (InfAdapter's `LinearRegression`), keeping the
 * intercept as fitted (InfAdapter's `int(min(b, 0.99))` truncation is its bug, docs/architecture.md#from-infadapter).
 * @throws PerfModelError with fewer than 2 distinct core counts
 */
export function fitCapacityLine(points: readonly Pick<CapacityPoint, "cores" | "capacityRps">[]): CapacityLineFit {
  const coresMeasured = [...new Set(points.map((p) => p.cores))].sort((a, b) => a - b);
  if (coresMeasured.length < 2) throw new PerfModelError(`a capacity line needs ≥ 2 distinct core counts, got [${coresMeasured.join(", ")}]`);
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.cores, 0) / n;
  const my = points.reduce((s, p) => s + p.capacityRps, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.cores - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.cores - mx) * (p.capacityRps - my), 0);
  const slopeRpsPerCore = sxy / sxx;
  const interceptRps = my - slopeRpsPerCore * mx;
  let sse = 0;
  let over = 0;
  for (const p of points) {
    const err = slopeRpsPerCore * p.cores + interceptRps - p.capacityRps;
    sse += err * err;
    over = Math.max(over, err);
  }
  return { slopeRpsPerCore, interceptRps, rmseRps: Math.sqrt(sse / n), worstOverPredictionRps: over, coresMeasured };
}

/** `slope·c + intercept` of a capacity line, rps (may be ≤ 0 far below the fitted cores). */
export function capacityRps(line: Pick<CapacityLineFit, "slopeRpsPerCore" | "interceptRps">, cores: number): number {
  if (!(cores > 0)) throw new PerfModelError(`cores must be > 0, got ${cores}`);
  return line.slopeRpsPerCore * cores + line.interceptRps;
}
