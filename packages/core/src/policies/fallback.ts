import type { StageAssignment } from "../assignment/index.js";
import { throughputRps } from "../perf/index.js";
import type { StageOption } from "./options.js";
import type { ChosenOption, Explanation, FallbackReason, PolicyInput, PolicyName, PolicyState } from "./types.js";

/**
 * The safest assignment when no feasible one exists: every stage gets an equal share of
 * `limits.maxCores` (at least one replica) running the option with the highest throughput per core,
 * i.e. the most requests served per core spent. Allowed variants can be restricted (FA2's pin).
 * A stage whose profile cannot be read keeps its current assignment.
 */
export function maximumCapacityStages(input: PolicyInput, allowed?: (stage: number) => ReadonlySet<string> | undefined): StageAssignment[] {
  const perStage = Math.max(1, Math.floor(input.limits.maxCores / input.stages.length));
  return input.stages.map((stage, s) => {
    const only = allowed?.(s);
    let best: { variant: string; batch: number; cores: number; perCore: number; latencyMs: number } | undefined;
    for (const v of stage.variants) {
      if (only && !only.has(v.name)) continue;
      for (const batch of input.limits.batches) {
        for (const cores of input.limits.coresPerReplica) {
          if (cores > perStage && cores !== Math.min(...input.limits.coresPerReplica)) continue;
          let latencyMs: number;
          try {
            latencyMs = input.perf.latency(v.name, batch, cores).latencyMs;
          } catch {
            continue;
          }
          const perCore = throughputRps(batch, latencyMs) / cores;
          if (!best || perCore > best.perCore + 1e-12 || (Math.abs(perCore - best.perCore) <= 1e-12 && latencyMs < best.latencyMs)) {
            best = { variant: v.name, batch, cores, perCore, latencyMs };
          }
        }
      }
    }
    if (!best) {
      const cur = input.current?.find((c) => c.stage === stage.name);
      return cur ?? { stage: stage.name, variants: [{ variant: stage.variants[0]!.name, weight: 1, batch: 1, coresPerReplica: 1, replicas: 1 }] };
    }
    const replicas = Math.max(1, Math.min(input.limits.maxReplicas, Math.floor(perStage / best.cores)));
    return { stage: stage.name, variants: [{ variant: best.variant, weight: 1, batch: best.batch, coresPerReplica: best.cores, replicas }] };
  });
}

/** A fallback decision: the maximum-capacity stages plus a machine-readable reason. Never throws. */
export function fallbackDecision(
  policy: PolicyName,
  input: PolicyInput,
  reason: FallbackReason,
  detail: string,
  method: Explanation["method"],
  allowed?: (stage: number) => ReadonlySet<string> | undefined,
  extra: { solveMs?: number; budgetMs?: number } = {},
): { stages: StageAssignment[]; state: PolicyState; explanation: Explanation } {
  let stages: StageAssignment[];
  try {
    stages = maximumCapacityStages(input, allowed);
  } catch {
    stages = [...(input.current ?? [])];
  }
  return {
    stages,
    state: { downscaleStreak: 0 },
    explanation: { policy, status: "fallback", method, terms: {}, chosen: [], fallback: { reason, detail }, ...extra },
  };
}

/** The explanation record of one chosen option. */
export function chosenOf(input: PolicyInput, o: StageOption, weight = 1): ChosenOption {
  return {
    stage: input.stages[o.stage]!.name,
    variant: o.variant.name,
    weight,
    batch: o.batch,
    coresPerReplica: o.cores,
    replicas: o.replicas,
    latencyMs: o.latencyMs,
    boundMs: o.boundMs,
    throughputRps: o.throughputRps,
    extrapolated: o.extrapolated,
  };
}

/** Groups chosen options into the Assignment's stage list (one entry per stage, in input order). */
export function stagesOf(input: PolicyInput, chosen: readonly ChosenOption[]): StageAssignment[] {
  return input.stages.map((st) => ({
    stage: st.name,
    variants: chosen
      .filter((c) => c.stage === st.name)
      .map((c) => ({ variant: c.variant, weight: c.weight, batch: c.batch, coresPerReplica: c.coresPerReplica, replicas: c.replicas })),
  }));
}
