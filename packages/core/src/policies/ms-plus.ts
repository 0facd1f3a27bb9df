import type { z } from "zod";
import { decideInfAdapter, infAdapterConfigSchema } from "./infadapter.js";
import type { PolicyDecision, PolicyDeps, PolicyInput, PolicyState } from "./types.js";

/** MS+ = InfAdapter's best single variant (docs/architecture.md#ms-plus). */
export const msPlusConfigSchema = infAdapterConfigSchema.omit({ maxActiveVariants: true });
export type MsPlusConfig = z.output<typeof msPlusConfigSchema>;

/**
 * MS+: InfAdapter's objective over single-variant configurations (model switching plus vertical
 * scaling). InfAdapter's MS+ took each variant's minimal cores and then the best objective; solving
 * the same objective exactly over (variant, cores) gives the same answer except where keeping the
 * current cores avoids a load-time cost, which the exact version correctly accounts for.
 */
export async function decideMsPlus(input: PolicyInput, prev: PolicyState | undefined, config: MsPlusConfig, nowMs: number, deps: PolicyDeps): Promise<PolicyDecision> {
  const d = await decideInfAdapter(input, prev, { ...config, maxActiveVariants: 1 }, nowMs, deps);
  return { ...d, explanation: { ...d.explanation, policy: "ms-plus" } };
}
