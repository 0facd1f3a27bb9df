import { PerfModelError, type LatencyLookup, type PerfModel } from "@fulcrum/core/perf";

/** One perf model answering for the variants of several (disjoint) models, e.g. one per stage. */
export function combinePerfModels(models: readonly PerfModel[]): PerfModel {
  const owner = new Map<string, PerfModel>();
  for (const m of models) {
    for (const v of m.variants()) {
      if (owner.has(v)) throw new PerfModelError(`variant "${v}" is answered by two perf models: variant names must be unique in a pipeline`, { variant: v });
      owner.set(v, m);
    }
  }
  return {
    variants: () => [...owner.keys()],
    latency(variant, batch, cores) {
      const m = owner.get(variant);
      if (!m) throw new PerfModelError(`unknown variant "${variant}" (known: ${[...owner.keys()].join(", ")})`, { variant });
      return m.latency(variant, batch, cores);
    },
  };
}

/**
 * Variants modelled as another variant's latency times a constant factor: `l_v(b,c) = k_v·l_base(b,c)`,
 * flagged `source: "model"` and `outsideMeasuredRange: true` (nobody measured them on this table).
 */
export function scaledPerfModel(base: PerfModel, baseVariant: string, factors: Readonly<Record<string, number>>): PerfModel {
  for (const [v, k] of Object.entries(factors)) {
    if (!(k > 0) || !Number.isFinite(k)) throw new PerfModelError(`scale factor of "${v}" must be a finite number > 0, got ${k}`, { variant: v });
  }
  return {
    variants: () => [baseVariant, ...Object.keys(factors).filter((v) => v !== baseVariant)],
    latency(variant, batch, cores): LatencyLookup {
      if (variant === baseVariant) return base.latency(baseVariant, batch, cores);
      const k = factors[variant];
      if (k === undefined) throw new PerfModelError(`unknown variant "${variant}"`, { variant });
      return { latencyMs: k * base.latency(baseVariant, batch, cores).latencyMs, source: "model", outsideMeasuredRange: true };
    },
  };
}
