import { z } from "zod";
import { decideIpa, ipaConfigSchema, type IpaConfig } from "./ipa.js";
import type { PolicyDecision, PolicyDeps, PolicyInput, PolicyState } from "./types.js";

/** FA2 = IPA with each stage's variant pinned (docs/architecture.md#fa2: FA2-low / FA2-high). */
export const fa2ConfigSchema = ipaConfigSchema.extend({
  /** Pinned variant per stage name. @default the current variant, else the stage's first (lightest) */
  variants: z.record(z.string(), z.string()).default({}),
});
export type Fa2Config = z.output<typeof fa2ConfigSchema>;

/** FA2: replicas and batch adapt, the variant does not. */
export function decideFa2(input: PolicyInput, prev: PolicyState | undefined, config: Fa2Config, nowMs: number, deps: PolicyDeps): Promise<PolicyDecision> {
  const pinned = input.stages.map((st) => config.variants[st.name] ?? input.current?.find((c) => c.stage === st.name)?.variants[0]?.variant ?? st.variants[0]!.name);
  return decideIpa(input, prev, config as IpaConfig, nowMs, deps, { variants: (s) => new Set([pinned[s]!]) }, "fa2");
}
