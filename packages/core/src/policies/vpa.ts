import { z } from "zod";
import { throughputRps } from "../perf/index.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import type { PolicyDecision, PolicyInput, PolicyState } from "./types.js";

/** The VPA baseline's config (InfAdapter's VPA runs, docs/architecture.md#vpa). */
export const vpaConfigSchema = z.object({
  ...commonConfigShape,
  /** Scale-down after this many stable intervals (InfAdapter: 4). @default 4 */
  scaleDownDelayIntervals: z.number().int().min(1).default(4),
  /** Target utilisation of the recommended cores (VPA keeps headroom). @default 0.9 */
  targetUtilization: z.number().gt(0).max(1).default(0.9),
  /** Cores bounds (`minAllowed`/`maxAllowed`). @default 2..20 */
  minCores: z.number().int().min(1).default(2),
  maxCores: z.number().int().min(1).default(20),
  /** Fixed variant per stage; @default current, else first */
  variants: z.record(z.string(), z.string()).default({}),
});
export type VpaConfig = z.output<typeof vpaConfigSchema>;

/**
 * VPA: per stage one replica of a fixed variant at batch 1 with the fewest cores whose throughput
 * at `targetUtilization` carries λ̂: `min c ∈ [minCores, maxCores] : u·h(1,c) ≥ λ̂`, else maxCores, where
 * maxCores is also bounded by the stage's share of `limits.maxCores`.
 * A core change is APPLIED BY RESTART in Kubernetes VPA; the Assignment cannot express the actuation
 * mode, so `explanation.notes` carries `actuation: restart` for the applier.
 */
export async function decideVpa(input: PolicyInput, prev: PolicyState | undefined, config: VpaConfig, _nowMs: number): Promise<PolicyDecision> {
  const stages = [];
  const chosen = [];
  // Never past the deployment's limits: this stage's share of the cores.
  const maxCores = Math.max(config.minCores, Math.min(config.maxCores, Math.floor(input.limits.maxCores / input.stages.length)));
  for (const st of input.stages) {
    const variant = config.variants[st.name] ?? input.current?.find((c) => c.stage === st.name)?.variants[0]?.variant ?? st.variants[0]!.name;
    let pick: { cores: number; latencyMs: number; extrapolated: boolean } | undefined;
    try {
      for (let c = config.minCores; c <= maxCores && !pick; c++) {
        const look = input.perf.latency(variant, 1, c);
        if (config.targetUtilization * throughputRps(1, look.latencyMs) >= input.forecastRps) pick = { cores: c, latencyMs: look.latencyMs, extrapolated: look.outsideMeasuredRange };
      }
      if (!pick) {
        const look = input.perf.latency(variant, 1, maxCores);
        pick = { cores: maxCores, latencyMs: look.latencyMs, extrapolated: look.outsideMeasuredRange };
      }
    } catch (err) {
      return fallbackDecision("vpa", input, "invalid-input", (err as Error).message, "rule");
    }
    stages.push({ stage: st.name, variants: [{ variant, weight: 1, batch: 1, coresPerReplica: pick.cores, replicas: 1 }] });
    chosen.push({ stage: st.name, variant, weight: 1, batch: 1, coresPerReplica: pick.cores, replicas: 1, latencyMs: pick.latencyMs, boundMs: pick.latencyMs, throughputRps: throughputRps(1, pick.latencyMs), extrapolated: pick.extrapolated });
  }
  const guarded = applyScaleDownHysteresis(input, stages, prev, config.scaleDownDelayIntervals);
  return {
    stages: guarded.stages, state: guarded.state,
    explanation: { policy: "vpa", status: guarded.held ? "held" : "optimal", method: "rule", terms: { cores: chosen.reduce((s, c) => s + c.coresPerReplica, 0) }, chosen, notes: ["actuation: restart"] },
  };
}
