import { throughputRps, type PerfModel } from "@fulcrum/core/perf";
import type { PolicyLimits, PolicyStage } from "@fulcrum/core/policies";

/**
 * IPA's "base allocation" (its only allocation mode with Gurobi): every variant gets one fixed
 * replica size, the fewest cores of the candidate grid at which some candidate batch reaches
 * `thresholdRps` per replica with a batch latency within `stageBudgetMs`; walking the variants
 * from least to most accurate, a variant never gets fewer cores than the one before it. A variant
 * that reaches the threshold nowhere gets the largest size. Returns the stages with
 * `baseCoresPerReplica` set.
 */
export function ipaBaseAllocation(stages: readonly PolicyStage[], perf: PerfModel, limits: PolicyLimits, thresholdRps: number, stageBudgetMs: number): PolicyStage[] {
  const cores = [...limits.coresPerReplica].sort((a, b) => a - b);
  return stages.map((stage) => {
    const byAccuracy = [...stage.variants].sort((a, b) => a.accuracy - b.accuracy);
    const chosen = new Map<string, number>();
    let floor = cores[0]!;
    for (const v of byAccuracy) {
      const fits = (c: number): boolean =>
        limits.batches.some((b) => {
          const l = perf.latency(v.name, b, c).latencyMs;
          return l <= stageBudgetMs && throughputRps(b, l) >= thresholdRps;
        });
      const c = cores.find((x) => x >= floor && fits(x)) ?? cores[cores.length - 1]!;
      chosen.set(v.name, c);
      floor = c;
    }
    return { ...stage, variants: stage.variants.map((v) => ({ ...v, baseCoresPerReplica: chosen.get(v.name)! })) };
  });
}
