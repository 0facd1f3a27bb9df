import { z } from "zod";
import { decideIpa, ipaConfigSchema, type IpaConfig } from "./ipa.js";
import type { PolicyDecision, PolicyDeps, PolicyInput, PolicyState } from "./types.js";

/** RIM = IPA with replicas pinned per stage (docs/architecture.md#rim: 3 per stage). */
export const rimConfigSchema = ipaConfigSchema.extend({
  /** Replicas of every stage. @default 3 */
  replicas: z.number().int().min(1).default(3),
});
export type RimConfig = z.output<typeof rimConfigSchema>;

/** RIM: the variant and batch adapt; an option is feasible only if the pinned replicas carry λ̂. */
export function decideRim(input: PolicyInput, prev: PolicyState | undefined, config: RimConfig, nowMs: number, deps: PolicyDeps): Promise<PolicyDecision> {
  return decideIpa(input, prev, config as IpaConfig, nowMs, deps, { replicas: () => config.replicas }, "rim");
}
