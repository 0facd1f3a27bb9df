import { z } from "zod";
import { replicasNeeded, stageBoundMs, throughputRps } from "../perf/index.js";
import { effectiveBudgetMs, tightestBudgetMs } from "./budget.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import { compilePipeline } from "./pipeline.js";
import type { ChosenOption, PolicyDecision, PolicyInput, PolicyState } from "./types.js";

/** Sponge's config (docs/architecture.md#sponge). */
export const spongeConfigSchema = z.object({
  ...commonConfigShape,
  /**
   * Quantile of the pending requests' remaining budgets taken as the budget to meet. LOW on purpose:
   * Sponge's code used the last observed value. @default 0.05
   */
  budgetQuantile: z.number().min(0).max(1).default(0.05),
  /** Largest cores of the single replica (in place). @default 16 */
  maxCores: z.number().int().min(1).default(16),
  /** Largest batch. @default 16 */
  maxBatch: z.number().int().min(1).default(16),
  /** Variant to run; @default the current one, else the stage's first variant */
  variant: z.string().optional(),
});
export type SpongeConfig = z.output<typeof spongeConfigSchema>;

/** One feasible (cores, batch) point of Sponge's search. */
export interface SpongePoint {
  readonly cores: number;
  readonly batch: number;
  readonly latencyMs: number;
  readonly boundMs: number;
  readonly throughputRps: number;
  readonly extrapolated: boolean;
}

/**
 * Sponge's feasibility test for one point: one replica carries λ̂ (`h(b,c) ≥ λ̂`) and the stage bound
 * `l(b,c) + (b−1)/λ̂` meets the budget. Replaces the code's "all RPS arrive at once, ⌈RPS/b⌉
 * back-to-back batches" model with the same throughput + fill-time bound as IPA.
 */
export function spongePoint(input: PolicyInput, variant: string, batch: number, cores: number, budgetMs: number): SpongePoint | undefined {
  const look = input.perf.latency(variant, batch, cores);
  const h = throughputRps(batch, look.latencyMs);
  const boundMs = stageBoundMs(look.latencyMs, batch, input.forecastRps);
  if (replicasNeeded(input.forecastRps, h) > 1 || boundMs > budgetMs) return undefined;
  return { cores, batch, latencyMs: look.latencyMs, boundMs, throughputRps: h, extrapolated: look.outsideMeasuredRange };
}

/**
 * Sponge: one stage, one replica resized in place; the lexicographic minimum (cores, then batch)
 * over `c ∈ 1..maxCores`, `b ∈ 1..maxBatch` of the feasible points (see {@link spongePoint}), with
 * the budget = min(SLO, `budgetQuantile` of the pending budgets) less the margin. Exact by
 * exhaustive search in lexicographic order (≤ 256 points; no solver).
 */
export async function decideSponge(input: PolicyInput, prev: PolicyState | undefined, config: SpongeConfig, _nowMs: number): Promise<PolicyDecision> {
  const pending = tightestBudgetMs(input.budgets, config.budgetQuantile);
  const budgetMs = effectiveBudgetMs(input.sloMs, config.sloMarginFraction, pending);
  try {
    compilePipeline(input);
  } catch (err) {
    return fallbackDecision("sponge", input, "invalid-input", (err as Error).message, "enumeration", undefined, { budgetMs });
  }
  if (input.stages.length !== 1) return fallbackDecision("sponge", input, "invalid-input", `sponge decides one stage, got ${input.stages.length}`, "enumeration", undefined, { budgetMs });
  const stage = input.stages[0]!;
  const variant = config.variant ?? input.current?.[0]?.variants[0]?.variant ?? stage.variants[0]!.name;
  const v = stage.variants.find((x) => x.name === variant);
  if (!v) return fallbackDecision("sponge", input, "invalid-input", `variant "${variant}" is not in stage "${stage.name}"`, "enumeration", undefined, { budgetMs });
  const only = (): ReadonlySet<string> => new Set([variant]);
  let found: SpongePoint | undefined;
  try {
    for (let c = 1; c <= Math.min(config.maxCores, input.limits.maxCores) && !found; c++) {
      for (let b = 1; b <= config.maxBatch && !found; b++) found = spongePoint(input, variant, b, c, budgetMs);
    }
  } catch (err) {
    return fallbackDecision("sponge", input, "invalid-input", (err as Error).message, "enumeration", only, { budgetMs });
  }
  if (!found) {
    return fallbackDecision("sponge", input, "infeasible", `no (cores ≤ ${config.maxCores}, batch ≤ ${config.maxBatch}) carries ${input.forecastRps} rps within ${budgetMs.toFixed(1)} ms`, "enumeration", only, { budgetMs });
  }
  const chosen: ChosenOption = {
    stage: stage.name, variant, weight: 1, batch: found.batch, coresPerReplica: found.cores, replicas: 1,
    latencyMs: found.latencyMs, boundMs: found.boundMs, throughputRps: found.throughputRps, extrapolated: found.extrapolated,
  };
  const proposal = [{ stage: stage.name, variants: [{ variant, weight: 1, batch: found.batch, coresPerReplica: found.cores, replicas: 1 }] }];
  const guarded = applyScaleDownHysteresis(input, proposal, prev, config.scaleDownDelayIntervals);
  return {
    stages: guarded.stages,
    state: guarded.state,
    explanation: {
      policy: "sponge",
      status: guarded.held ? "held" : "optimal",
      method: "enumeration",
      // Lexicographic (cores, batch) as one number to minimise; reported negated (policies maximise).
      objective: -(found.cores * (config.maxBatch + 1) + found.batch),
      terms: { cores: found.cores, batch: found.batch },
      chosen: [chosen],
      endToEndBoundMs: found.boundMs,
      budgetMs,
      ...(pending !== undefined ? { notes: [`tightest pending budget (q=${config.budgetQuantile}) ${pending.toFixed(1)} ms`] } : {}),
    },
  };
}
