import { z } from "zod";
import { throughputRps } from "../perf/index.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import type { ChosenOption, PolicyDecision, PolicyInput, PolicyState } from "./types.js";

/** The HPA baseline's config (Kubernetes HorizontalPodAutoscaler defaults). */
export const hpaConfigSchema = z.object({
  ...commonConfigShape,
  /** Scale-down stabilisation in decision intervals (K8s: 300 s window). @default 5 */
  scaleDownDelayIntervals: z.number().int().min(1).default(5),
  /** Target utilisation (load / capacity). @default 0.8 */
  targetUtilization: z.number().gt(0).max(1).default(0.8),
  /** No change while |ratio − 1| ≤ tolerance (K8s `horizontal-pod-autoscaler-tolerance`). @default 0.1 */
  tolerance: z.number().min(0).default(0.1),
  minReplicas: z.number().int().min(1).default(1),
  maxReplicas: z.number().int().min(1).default(100),
  /** Batch of the 1-core replicas. @default 1 */
  batch: z.number().int().min(1).default(1),
  variants: z.record(z.string(), z.string()).default({}),
});
export type HpaConfig = z.output<typeof hpaConfigSchema>;

/**
 * HPA: 1-core replicas of a fixed variant, Kubernetes' formula
 * `desired = ceil(current · utilisation / target)` with utilisation = λ̂ / (current · h(b,1)), a
 * tolerance band, and [minReplicas, maxReplicas] bounds. Without a current count it starts from
 * `ceil(λ̂ / (target · h))`.
 */
export async function decideHpa(input: PolicyInput, prev: PolicyState | undefined, config: HpaConfig, _nowMs: number): Promise<PolicyDecision> {
  const stages = [];
  const chosen: ChosenOption[] = [];
  for (const st of input.stages) {
    const cur = input.current?.find((c) => c.stage === st.name)?.variants[0];
    const variant = config.variants[st.name] ?? cur?.variant ?? st.variants[0]!.name;
    let look;
    try {
      look = input.perf.latency(variant, config.batch, 1);
    } catch (err) {
      return fallbackDecision("hpa", input, "invalid-input", (err as Error).message, "rule");
    }
    const h = throughputRps(config.batch, look.latencyMs);
    const current = cur && cur.variant === variant ? cur.replicas : 0;
    let desired: number;
    if (current > 0) {
      const ratio = input.forecastRps / (current * h) / config.targetUtilization;
      desired = Math.abs(ratio - 1) <= config.tolerance ? current : Math.ceil(current * ratio - 1e-9);
    } else desired = Math.ceil(input.forecastRps / (config.targetUtilization * h) - 1e-9);
    // Never past the deployment's limits: replicas per variant, and this stage's share of the cores.
    const cap = Math.max(1, Math.min(config.maxReplicas, input.limits.maxReplicas, Math.floor(input.limits.maxCores / input.stages.length)));
    desired = Math.min(cap, Math.max(config.minReplicas, desired));
    stages.push({ stage: st.name, variants: [{ variant, weight: 1, batch: config.batch, coresPerReplica: 1, replicas: desired }] });
    chosen.push({ stage: st.name, variant, weight: 1, batch: config.batch, coresPerReplica: 1, replicas: desired, latencyMs: look.latencyMs, boundMs: look.latencyMs, throughputRps: h, extrapolated: look.outsideMeasuredRange });
  }
  const guarded = applyScaleDownHysteresis(input, stages, prev, config.scaleDownDelayIntervals);
  return {
    stages: guarded.stages, state: guarded.state,
    explanation: { policy: "hpa", status: guarded.held ? "held" : "optimal", method: "rule", terms: { replicas: chosen.reduce((s, c) => s + c.replicas, 0) }, chosen },
  };
}
