import { PerfModelError } from "./errors.js";
import { spongeLatencyMs, type SpongeCoefficients } from "./latency-model.js";

/**
 * InfAdapter's linear capacity model of a variant run without batching: a replica with c cores
 * sustains `slope·c + intercept` rps within the SLO it was profiled at. As a latency it reads as
 * the service time `1000·b / capacity(c)` ms of a batch of b (exactly the profiled batch of 1).
 */
export interface CapacityPerf {
  readonly slopeRpsPerCore: number;
  readonly interceptRps: number;
  /** Core counts the line was fitted on; outside their range a lookup is flagged. */
  readonly coresMeasured: readonly number[];
}

/** One measured point of a variant's profile: latency of a batch on a number of cores. */
export interface MeasuredLatency {
  readonly batch: number;
  /** Cores (= intra-op threads) of the replica. */
  readonly cores: number;
  /** Batch latency in ms (the profile's reference statistic, e.g. p99). */
  readonly latencyMs: number;
}

/** What a policy needs to know about one variant's speed. At least one of the three must be set. */
export interface VariantPerf {
  /** Measured (batch, cores) table. Looked up exactly; never interpolated. */
  readonly measured?: readonly MeasuredLatency[];
  /** Fitted Sponge model, used for points the table lacks. */
  readonly fit?: SpongeCoefficients;
  /** Capacity line (paper sets that publish capacity, not latency); used when there is no fit. */
  readonly capacity?: CapacityPerf;
}

/** A latency lookup and where it came from. */
export interface LatencyLookup {
  readonly latencyMs: number;
  /** `measured`: a profiled point; `model`: computed from the fitted model. */
  readonly source: "measured" | "model";
  /**
   * True when the point was modeled with batch or cores outside the measured table's range (or
   * with no table at all): the fit is extrapolating and its error is unknown.
   */
  readonly outsideMeasuredRange: boolean;
}

/** The performance model policies consume: latency of variant `v` at batch `b` on `c` cores. */
export interface PerfModel {
  /** @throws PerfModelError for an unknown variant or a point neither measured nor modeled. */
  latency(variant: string, batch: number, cores: number): LatencyLookup;
  /** Variants this model knows. */
  variants(): readonly string[];
}

interface CompiledVariant {
  readonly table: Map<string, number>;
  readonly fit: SpongeCoefficients | undefined;
  readonly capacity: CapacityPerf | undefined;
  readonly range: { bMin: number; bMax: number; cMin: number; cMax: number } | undefined;
}

const key = (b: number, c: number): string => `${b}x${c}`;

/** Builds a {@link PerfModel} from per-variant measured tables and/or fitted Sponge models. */
export function createPerfModel(perVariant: Readonly<Record<string, VariantPerf>>): PerfModel {
  const compiled = new Map<string, CompiledVariant>();
  for (const [name, perf] of Object.entries(perVariant)) {
    const table = new Map<string, number>();
    for (const p of perf.measured ?? []) {
      if (!(p.latencyMs > 0)) throw new PerfModelError(`measured latency must be > 0 ms, got ${p.latencyMs} at b=${p.batch} c=${p.cores}`, { variant: name });
      table.set(key(p.batch, p.cores), p.latencyMs);
    }
    if (table.size === 0 && !perf.fit && !perf.capacity) throw new PerfModelError(`variant "${name}" has neither a measured table, a fit nor a capacity line`, { variant: name });
    if (perf.capacity && !(perf.capacity.slopeRpsPerCore > 0)) throw new PerfModelError(`variant "${name}": capacity slope must be > 0 rps/core, got ${perf.capacity.slopeRpsPerCore}`, { variant: name });
    const pts = perf.measured ?? [];
    const range = pts.length === 0 ? undefined : {
      bMin: Math.min(...pts.map((p) => p.batch)), bMax: Math.max(...pts.map((p) => p.batch)),
      cMin: Math.min(...pts.map((p) => p.cores)), cMax: Math.max(...pts.map((p) => p.cores)),
    };
    compiled.set(name, { table, fit: perf.fit, capacity: perf.capacity, range });
  }
  return {
    variants: () => [...compiled.keys()],
    latency(variant, batch, cores) {
      const v = compiled.get(variant);
      if (!v) throw new PerfModelError(`unknown variant "${variant}"`, { variant });
      const hit = v.table.get(key(batch, cores));
      if (hit !== undefined) return { latencyMs: hit, source: "measured", outsideMeasuredRange: false };
      if (!v.fit && v.capacity) {
        const rps = v.capacity.slopeRpsPerCore * cores + v.capacity.interceptRps;
        if (!(rps > 0)) throw new PerfModelError(`variant "${variant}": capacity line gives ${rps} rps at ${cores} cores`, { variant });
        const cs = v.capacity.coresMeasured;
        const outside = batch !== 1 || cs.length === 0 || cores < Math.min(...cs) || cores > Math.max(...cs);
        return { latencyMs: (1000 * batch) / rps, source: "model", outsideMeasuredRange: outside };
      }
      if (!v.fit) throw new PerfModelError(`variant "${variant}" has no measurement at b=${batch} c=${cores} and no fitted model`, { variant });
      const r = v.range;
      const outside = !r || batch < r.bMin || batch > r.bMax || cores < r.cMin || cores > r.cMax;
      return { latencyMs: spongeLatencyMs(v.fit, batch, cores), source: "model", outsideMeasuredRange: outside };
    },
  };
}
