import type { VariantAllocation } from "./assignment.js";

/** What one replica runs. */
export interface ReplicaTarget {
  readonly variant: string;
  readonly cores: number;
  readonly batchSize: number;
}

/**
 * Which variant replica `index` of a stage runs: variants take consecutive replica ranges in the
 * order listed (a stage `[a×2, b×1]` gives replicas 0,1 → a and 2 → b). A replica beyond the total
 * keeps serving the variant with the largest share until the launcher retires it.
 */
export function targetForReplica(variants: readonly VariantAllocation[], index: number): ReplicaTarget & { surplus: boolean } {
  let at = 0;
  for (const v of variants) {
    if (v.weight <= 0 || v.replicas <= 0) continue;
    if (index < at + v.replicas) return { variant: v.variant, cores: v.coresPerReplica, batchSize: v.batch, surplus: false };
    at += v.replicas;
  }
  const best = [...variants].sort((a, b) => b.weight - a.weight)[0]!;
  return { variant: best.variant, cores: best.coresPerReplica, batchSize: best.batch, surplus: true };
}
