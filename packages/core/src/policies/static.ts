import { z } from "zod";
import type { StageAssignment } from "../assignment/index.js";
import { fallbackDecision } from "./fallback.js";
import type { PolicyDecision, PolicyInput, PolicyState } from "./types.js";

const allocation = z.object({
  variant: z.string(),
  batch: z.number().int().min(1).default(1),
  coresPerReplica: z.number().int().min(1).default(1),
  replicas: z.number().int().min(1).default(1),
});

/** The static baseline's config: a fixed allocation per stage name. */
export const staticConfigSchema = z.object({
  /** Allocation per stage. Stages not listed keep their current assignment. @default {} */
  stages: z.record(z.string(), allocation).default({}),
});
export type StaticConfig = z.output<typeof staticConfigSchema>;

/** Static: always the configured allocation (else the current one). Never adapts. */
export async function decideStatic(input: PolicyInput, _prev: PolicyState | undefined, config: StaticConfig, _nowMs: number): Promise<PolicyDecision> {
  const stages: StageAssignment[] = [];
  for (const st of input.stages) {
    const fixed = config.stages[st.name];
    const cur = input.current?.find((c) => c.stage === st.name);
    if (fixed) stages.push({ stage: st.name, variants: [{ ...fixed, weight: 1 }] });
    else if (cur) stages.push(cur);
    else return fallbackDecision("static", input, "invalid-input", `no static allocation and no current assignment for stage "${st.name}"`, "rule");
  }
  return { stages, state: { downscaleStreak: 0 }, explanation: { policy: "static", status: "optimal", method: "rule", terms: {}, chosen: [] } };
}
