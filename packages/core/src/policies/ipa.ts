import { z } from "zod";
import { compilePipeline, endToEndBoundMs } from "./pipeline.js";
import { effectiveBudgetMs } from "./budget.js";
import { commonConfigShape } from "./common-config.js";
import { chosenOf, fallbackDecision, stagesOf } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import { ipaCoresFor, paretoPrune, stageOptions, type StageOption } from "./options.js";
import { solveSingleChoice, type SingleChoiceProblem } from "./single-choice.js";
import { branchAndBoundSingleChoice } from "./branch-and-bound.js";
import type { SolveStatus } from "./solver-port.js";
import type { PolicyDecision, PolicyDeps, PolicyInput, PolicyName, PolicyState } from "./types.js";

/** IPA's config (docs/architecture.md#ipa; defaults are the video configs' weights). */
export const ipaConfigSchema = z.object({
  ...commonConfigShape,
  /** α: weight of the accuracy term. @default 2 */
  accuracyWeight: z.number().min(0).default(2),
  /** β: cost per allocated core. @default 1 */
  costPerCore: z.number().min(0).default(1),
  /** γ: cost per unit of batch size (IPA's tie-breaker toward small batches). @default 1e-6 */
  costPerBatch: z.number().min(0).default(1e-6),
  /**
   * How stage accuracies combine: `log` = Σ log a (the product "PAS", linear), `sum` = Σ a,
   * `average` = Σ a / |stages|. @default "log"
   */
  accuracyAggregation: z.enum(["log", "sum", "average"]).default("log"),
  /**
   * Exact method: `milp` (HiGHS through the Solver port), `branch-and-bound` (exact search in
   * process), or `auto` = branch and bound, handing over to the MILP if it hits its node limit.
   * @default "auto"
   */
  method: z.enum(["auto", "milp", "branch-and-bound"]).default("auto"),
  /** Node limit of the branch and bound before `auto` hands over to the MILP. @default 2000000 */
  branchAndBoundNodeLimit: z.number().int().positive().default(2_000_000),
});
export type IpaConfig = z.output<typeof ipaConfigSchema>;

/** What the IPA family's baselines pin (FA2: variants; RIM: replicas). */
export interface IpaRestriction {
  readonly variants?: (stage: number) => ReadonlySet<string> | undefined;
  readonly replicas?: (stage: number) => number | undefined;
}

/** The per-stage accuracy term of IPA's objective. */
export function ipaAccuracyTerm(aggregation: IpaConfig["accuracyAggregation"], accuracy: number, stages: number): number {
  if (aggregation === "log") return Math.log(accuracy);
  return aggregation === "sum" ? accuracy : accuracy / stages;
}

/** IPA's objective contribution of one option: α·acc − β·cores − γ·b. */
export function ipaOptionValue(config: IpaConfig, o: StageOption, stages: number): number {
  return config.accuracyWeight * ipaAccuracyTerm(config.accuracyAggregation, o.variant.accuracy, stages) - config.costPerCore * o.totalCores - config.costPerBatch * o.batch;
}

/**
 * Solves a one-option-per-stage problem exactly with the configured method (see
 * {@link ipaConfigSchema} `method`). Shared by IPA, FA2 and RIM.
 */
export async function solveIpaProblem<T extends StageOption>(
  problem: SingleChoiceProblem<T>,
  config: Pick<IpaConfig, "method" | "branchAndBoundNodeLimit" | "solveTimeLimitMs">,
  deps: PolicyDeps,
): Promise<{ status: SolveStatus; choice?: readonly T[]; solveMs?: number; message?: string; method: "milp" | "branch-and-bound" }> {
  if (config.method !== "milp") {
    const bb = branchAndBoundSingleChoice(problem, config.branchAndBoundNodeLimit);
    if (bb.status === "optimal") return { status: "optimal", choice: bb.choice!, method: "branch-and-bound" };
    if (bb.status === "infeasible") return { status: "infeasible", method: "branch-and-bound" };
    if (config.method === "branch-and-bound") {
      return { status: "time-limit", ...(bb.choice ? { choice: bb.choice } : {}), message: `node limit ${config.branchAndBoundNodeLimit} reached`, method: "branch-and-bound" };
    }
  }
  const r = await solveSingleChoice(problem, deps.solver, config.solveTimeLimitMs);
  return { ...r, method: "milp" };
}

/**
 * IPA: per stage one variant, batch and replicas (cores per replica = the variant's base allocation,
 * or chosen from the grid when it has none), maximising α·Σacc − β·cores − γ·Σb subject to every
 * source→sink path's Σ (l(b,c) + (b−1)/λ) ≤ SLO, with the fill term charged for the CHOSEN batch
 * only, and Σ cores ≤ limit. Replicas are closed-form `ceil(λ/h)` per option, options dominated in
 * (value, bound, cores) are pruned, and the rest is a multiple-choice MILP solved by the Solver port.
 */
export async function decideIpa(
  input: PolicyInput,
  prev: PolicyState | undefined,
  config: IpaConfig,
  _nowMs: number,
  deps: PolicyDeps,
  restrict: IpaRestriction = {},
  policy: PolicyName = "ipa",
): Promise<PolicyDecision> {
  let pipeline;
  let options: StageOption[][];
  const preMethod = config.method === "milp" ? "milp" : "branch-and-bound";
  const budgetMs = effectiveBudgetMs(input.sloMs, config.sloMarginFraction);
  try {
    pipeline = compilePipeline(input);
    options = input.stages.map((_, s) => {
      const variants = restrict.variants?.(s);
      const pinnedReplicas = restrict.replicas?.(s);
      return stageOptions(input, s, input.forecastRps, {
        coresFor: ipaCoresFor(input),
        ...(variants ? { variants } : {}),
        ...(pinnedReplicas !== undefined ? { pinnedReplicas } : {}),
      });
    });
  } catch (err) {
    return fallbackDecision(policy, input, "invalid-input", (err as Error).message, preMethod, restrict.variants, { budgetMs });
  }
  for (const [s, opts] of options.entries()) {
    const name = input.stages[s]!.name;
    if (opts.length === 0) {
      return fallbackDecision(policy, input, "capacity-exceeded", `stage "${name}": no option carries ${input.forecastRps} rps within ${input.limits.maxReplicas} replicas and ${input.limits.maxCores} cores`, preMethod, restrict.variants, { budgetMs });
    }
    const fastest = Math.min(...opts.map((o) => o.boundMs));
    if (fastest > budgetMs) {
      return fallbackDecision(policy, input, "latency-unreachable", `stage "${name}": fastest bound ${fastest.toFixed(1)} ms exceeds the ${budgetMs.toFixed(1)} ms budget`, preMethod, restrict.variants, { budgetMs });
    }
  }
  const n = input.stages.length;
  const value = (o: StageOption): number => ipaOptionValue(config, o, n);
  const pruned = options.map((opts) => paretoPrune(opts.filter((o) => o.boundMs <= budgetMs), value));
  const problem = { pipeline, options: pruned, value, budgetMs, maxCores: input.limits.maxCores };
  const r = await solveIpaProblem(problem, config, deps);
  const method = r.method;
  if (!r.choice) {
    const reason = r.status === "infeasible" ? "infeasible" : r.status === "time-limit" ? "solver-time-limit" : "solver-error";
    const detail = r.status === "infeasible" ? `no combination meets the ${budgetMs.toFixed(1)} ms budget on every path within ${input.limits.maxCores} cores` : (r.message ?? r.status);
    return fallbackDecision(policy, input, reason, detail, method, restrict.variants, { ...(r.solveMs !== undefined ? { solveMs: r.solveMs } : {}), budgetMs });
  }
  const chosen = r.choice.map((o) => chosenOf(input, o));
  const accuracy = r.choice.reduce((s, o) => s + config.accuracyWeight * ipaAccuracyTerm(config.accuracyAggregation, o.variant.accuracy, n), 0);
  const cores = r.choice.reduce((s, o) => s + o.totalCores, 0);
  const batch = r.choice.reduce((s, o) => s + o.batch, 0);
  const proposal = stagesOf(input, chosen);
  const guarded = applyScaleDownHysteresis(input, proposal, prev, config.scaleDownDelayIntervals);
  return {
    stages: guarded.stages,
    state: guarded.state,
    explanation: {
      policy,
      status: guarded.held ? "held" : "optimal",
      method,
      objective: r.choice.reduce((s, o) => s + value(o), 0),
      terms: { accuracy, cores: -config.costPerCore * cores, batch: -config.costPerBatch * batch },
      chosen,
      endToEndBoundMs: endToEndBoundMs(pipeline, r.choice.map((o) => o.boundMs)),
      budgetMs,
      ...(r.solveMs !== undefined ? { solveMs: r.solveMs } : {}),
      ...(r.status === "time-limit" ? { notes: ["time limit reached: best incumbent, optimality not proved"] } : {}),
    },
  };
}
