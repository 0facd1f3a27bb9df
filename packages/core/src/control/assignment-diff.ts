import type { StageAssignment, VariantAllocation } from "../assignment/index.js";

/** What changed for one (stage, variant) between two assignments. */
export interface AllocationChange {
  readonly stage: string;
  readonly variant: string;
  /** `added`/`removed` variant, or the fields that changed in place. */
  readonly kind: "added" | "removed" | "changed";
  readonly fields: readonly (keyof VariantAllocation)[];
}

const FIELDS = ["weight", "batch", "coresPerReplica", "replicas"] as const;

/**
 * The per-(stage, variant) differences from `prev` to `next` (everything is `added` when there is
 * no previous assignment). Weights compare within 1e-9.
 */
export function diffAssignments(prev: readonly StageAssignment[] | undefined, next: readonly StageAssignment[]): AllocationChange[] {
  const out: AllocationChange[] = [];
  const stages = new Set([...(prev ?? []).map((s) => s.stage), ...next.map((s) => s.stage)]);
  for (const stage of stages) {
    const before = prev?.find((s) => s.stage === stage)?.variants ?? [];
    const after = next.find((s) => s.stage === stage)?.variants ?? [];
    for (const a of after) {
      const b = before.find((x) => x.variant === a.variant);
      if (!b) {
        out.push({ stage, variant: a.variant, kind: "added", fields: [] });
        continue;
      }
      const fields = FIELDS.filter((f) => (f === "weight" ? Math.abs(a.weight - b.weight) > 1e-9 : a[f] !== b[f]));
      if (fields.length > 0) out.push({ stage, variant: a.variant, kind: "changed", fields });
    }
    for (const b of before) if (!after.some((a) => a.variant === b.variant)) out.push({ stage, variant: b.variant, kind: "removed", fields: [] });
  }
  return out;
}
