/**
 * The optimizer's decision for one pipeline, applied live by stages and the gateway.
 * Versions increase strictly; receivers apply a version only if it is newer than the one they run.
 */
export interface Assignment {
  /** Pipeline name (NATS subject token: `[A-Za-z0-9_-]+`). */
  readonly pipeline: string;
  /** Monotonic version, starting at 1. */
  readonly version: number;
  /** Policy that produced it (`ipa`, `infadapter`, `sponge`, `fulcrum`, `static`, …). */
  readonly policy: string;
  /** Wall-clock time the decision was made, Unix ms. */
  readonly createdAtMs: number;
  /** One entry per stage of the pipeline. */
  readonly stages: readonly StageAssignment[];
}

/** What one stage runs: a set of variants, each with its traffic share and resources. */
export interface StageAssignment {
  /** Stage name within the pipeline. */
  readonly stage: string;
  /**
   * Active variants. Weights are traffic shares in [0, 1] that sum to 1 over the list.
   * A single-variant policy (IPA, Sponge) emits one entry with weight 1.
   */
  readonly variants: readonly VariantAllocation[];
}

/** Resources and batching for one variant of one stage. */
export interface VariantAllocation {
  /** Variant name, e.g. `resnet18`. */
  readonly variant: string;
  /** Traffic share in [0, 1]. */
  readonly weight: number;
  /** Maximum batch size (≥ 1). */
  readonly batch: number;
  /** Cores per replica = intra-op threads (≥ 1; changed in place). */
  readonly coresPerReplica: number;
  /** Replicas (≥ 1 when weight > 0). */
  readonly replicas: number;
}

/** Total cores an assignment allocates (Σ coresPerReplica · replicas). */
export function totalCores(a: Pick<Assignment, "stages">): number {
  let sum = 0;
  for (const s of a.stages) for (const v of s.variants) sum += v.coresPerReplica * v.replicas;
  return sum;
}
