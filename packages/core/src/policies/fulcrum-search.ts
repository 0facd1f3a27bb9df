import { branchAndBoundSingleChoice } from "./branch-and-bound.js";
import type { CompiledPipeline } from "./pipeline.js";
import { enumerateStageConfigurations, type ShareOption, type StageConfiguration } from "./stage-configurations.js";

/** Fulcrum's problem over already budget-filtered options (see `decideFulcrum`). */
export interface FulcrumSearchProblem<T extends ShareOption> {
  readonly pipeline: CompiledPipeline;
  /** Candidate options per stage. */
  readonly options: readonly (readonly T[])[];
  /** G: shares are multiples of 1/G. */
  readonly units: number;
  /** Every source→sink path's Σ of stage bounds must be ≤ this, ms. */
  readonly budgetMs: number;
  readonly maxCores: number;
  /** At most this many active variants per stage. @default Infinity */
  readonly maxVariantsPerStage?: number;
  /** Work limit: partial stage configurations generated plus branch-and-bound nodes. */
  readonly nodeLimit: number;
}

/** Outcome of {@link searchFulcrum}. */
export interface FulcrumSearchResult<T extends ShareOption> {
  /** `node-limit`: the work limit was hit before optimality was proved; nothing is returned then. */
  readonly status: "optimal" | "infeasible" | "node-limit";
  /** Admitted units A (the largest any selection carries). Present when optimal. */
  readonly admittedUnits?: number;
  /** Chosen options per stage. Present when optimal. */
  readonly selection?: readonly (readonly T[])[];
  /** Σ value of the selection (shed term excluded). Present when optimal. */
  readonly value?: number;
  /** Partial stage configurations generated (the frontier work). */
  readonly generated: number;
  /** Branch-and-bound nodes over whole configurations (the search work). */
  readonly nodes: number;
}

/**
 * Exact specialised solver of Fulcrum's problem, by decomposition. (1) Per stage, the Pareto
 * frontier of whole stage configurations per admitted units ({@link enumerateStageConfigurations}),
 * each configuration capped by what the other stages leave at best: cores ≤ Cmax − Σ other stages'
 * cheapest option, bounds ≤ budget − the fastest path through the stage. (2) For A = G, G−1, …, 1
 * (shedding is lexicographically last, as the shed penalty makes it in the MILP): pick one
 * A-unit configuration per stage with every path's Σ bounds ≤ budget and Σ cores ≤ Cmax by the
 * exact single-choice branch and bound. The first A with a feasible selection is optimal.
 */
export function searchFulcrum<T extends ShareOption>(p: FulcrumSearchProblem<T>): FulcrumSearchResult<T> {
  const n = p.options.length;
  if (p.options.some((opts) => opts.length === 0)) return { status: "infeasible", generated: 0, nodes: 0 };
  const minCores = p.options.map((opts) => Math.min(...opts.map((o) => o.totalCores)));
  const minBound = p.options.map((opts) => Math.min(...opts.map((o) => o.boundMs)));
  const through = fastestPathThrough(p.pipeline, minBound);
  const totalMinCores = minCores.reduce((a, b) => a + b, 0);
  let generated = 0;
  let nodes = 0;
  const frontiers: (readonly (readonly StageConfiguration<T>[])[])[] = [];
  for (let s = 0; s < n; s++) {
    const configs = enumerateStageConfigurations(p.options[s]!, {
      units: p.units,
      maxVariants: p.maxVariantsPerStage ?? Infinity,
      maxCores: p.maxCores - (totalMinCores - minCores[s]!),
      // The tolerance the branch and bound allows on path sums, so rounding never drops an option.
      maxBoundMs: p.budgetMs - (through[s]! - minBound[s]!) + 1e-7,
      maxGenerated: p.nodeLimit - generated,
    });
    if (!configs) return { status: "node-limit", generated: p.nodeLimit, nodes: 0 };
    generated += configs.generated;
    frontiers.push(configs.byUnits);
  }
  for (let a = p.units; a >= 1; a--) {
    const level = frontiers.map((byUnits) => byUnits[a] ?? []);
    if (level.some((configs) => configs.length === 0)) continue;
    const bb = branchAndBoundSingleChoice({ pipeline: p.pipeline, options: level, value: (c) => c.value, budgetMs: p.budgetMs, maxCores: p.maxCores }, p.nodeLimit - generated - nodes);
    nodes += bb.nodes;
    if (bb.status === "node-limit") return { status: "node-limit", generated, nodes };
    if (bb.status === "optimal") return { status: "optimal", admittedUnits: a, selection: bb.choice!.map((c) => c.options), value: bb.objective!, generated, nodes };
  }
  return { status: "infeasible", generated, nodes };
}

/** Per stage, the longest source→sink path through it when every stage takes `boundMs[s]`, ms. */
function fastestPathThrough(pipeline: CompiledPipeline, boundMs: readonly number[]): number[] {
  const n = boundMs.length;
  const head = new Array<number>(n).fill(0);
  const tail = new Array<number>(n).fill(0);
  const succ: number[][] = Array.from({ length: n }, () => []);
  pipeline.preds.forEach((ps, t) => ps.forEach((u) => succ[u]!.push(t)));
  for (const s of pipeline.order) head[s] = boundMs[s]! + pipeline.preds[s]!.reduce((m, u) => Math.max(m, head[u]!), 0);
  for (const s of [...pipeline.order].reverse()) tail[s] = succ[s]!.reduce((m, t) => Math.max(m, boundMs[t]! + tail[t]!), 0);
  return head.map((h, s) => h + tail[s]!);
}
