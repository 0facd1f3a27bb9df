import { replicasNeeded, stageBoundMs, throughputRps } from "../perf/index.js";
import type { PolicyInput, PolicyVariant } from "./types.js";

/**
 * One candidate configuration k = (variant, batch, cores per replica) of one stage at one arrival
 * rate, with everything a formulation needs precomputed in closed form: the replicas `ceil(λ/h)`
 * that carry the rate, the cores they cost and the stage bound `l + (b−1)/λ`.
 */
export interface StageOption {
  readonly stage: number;
  readonly variant: PolicyVariant;
  readonly batch: number;
  readonly cores: number;
  /** Arrival rate this option was sized for, rps. */
  readonly rateRps: number;
  readonly latencyMs: number;
  readonly boundMs: number;
  readonly throughputRps: number;
  readonly replicas: number;
  /** cores · replicas. */
  readonly totalCores: number;
  readonly extrapolated: boolean;
}

/** How to enumerate a stage's options. */
export interface OptionFilter {
  /** Only these variants (FA2 pins variants). */
  readonly variants?: ReadonlySet<string>;
  /** Fixed replicas (RIM): the option is kept only if they carry the rate. */
  readonly pinnedReplicas?: number;
  /** Cores-per-replica candidates of a variant. @default variant base allocation, else limits.coresPerReplica */
  readonly coresFor?: (v: PolicyVariant) => readonly number[];
  /** Batch candidates. @default limits.batches */
  readonly batches?: readonly number[];
}

/** The cores-per-replica candidates IPA uses: the variant's base allocation if set, else the grid. */
export function ipaCoresFor(input: PolicyInput): (v: PolicyVariant) => readonly number[] {
  return (v) => (v.baseCoresPerReplica !== undefined ? [v.baseCoresPerReplica] : input.limits.coresPerReplica);
}

/**
 * Enumerates the options of stage `s` at `rateRps`, dropping those that need more replicas than
 * `limits.maxReplicas` or more cores than `limits.maxCores`. Latency-infeasible options are kept
 * (the formulation's path constraints decide); a zero rate needs one replica (the stage stays up).
 */
export function stageOptions(input: PolicyInput, s: number, rateRps: number, filter: OptionFilter = {}): StageOption[] {
  const stage = input.stages[s]!;
  const out: StageOption[] = [];
  const coresFor = filter.coresFor ?? ((): readonly number[] => input.limits.coresPerReplica);
  for (const variant of stage.variants) {
    if (filter.variants && !filter.variants.has(variant.name)) continue;
    for (const batch of filter.batches ?? input.limits.batches) {
      for (const cores of coresFor(variant)) {
        const look = input.perf.latency(variant.name, batch, cores);
        const h = throughputRps(batch, look.latencyMs);
        let replicas = Math.max(1, replicasNeeded(rateRps, h));
        if (filter.pinnedReplicas !== undefined) {
          if (replicas > filter.pinnedReplicas) continue;
          replicas = filter.pinnedReplicas;
        }
        if (replicas > input.limits.maxReplicas || replicas * cores > input.limits.maxCores) continue;
        out.push({
          stage: s, variant, batch, cores, rateRps,
          latencyMs: look.latencyMs,
          boundMs: stageBoundMs(look.latencyMs, batch, rateRps),
          throughputRps: h,
          replicas,
          totalCores: replicas * cores,
          extrapolated: look.outsideMeasuredRange,
        });
      }
    }
  }
  return out;
}

/**
 * Removes options that another option of the same stage weakly dominates: value ≥, bound ≤ and
 * cores ≤ (and strictly better in one, or equal and earlier). Exact for formulations whose only
 * couplings are sums of bounds along paths and a sum of cores: swapping a dominated option for its
 * dominator keeps every constraint satisfied and never lowers the objective.
 */
export function paretoPrune<T extends StageOption>(options: readonly T[], value: (o: T) => number): T[] {
  const scored = options.map((o) => ({ o, v: value(o) }));
  // Sorted by value desc, then bound asc, then cores asc: a dominator always comes first.
  scored.sort((a, b) => b.v - a.v || a.o.boundMs - b.o.boundMs || a.o.totalCores - b.o.totalCores);
  const kept: { o: T; v: number }[] = [];
  for (const cand of scored) {
    const dominated = kept.some((k) => k.v >= cand.v && k.o.boundMs <= cand.o.boundMs && k.o.totalCores <= cand.o.totalCores);
    if (!dominated) kept.push(cand);
  }
  return kept.map((k) => k.o);
}
