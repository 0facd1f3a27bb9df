import { branchAndBoundSingleChoice } from "./branch-and-bound.js";
import type { CompiledPipeline } from "./pipeline.js";
import { enumerateStageConfigurations, maxStageValue, type ShareOption, type StageConfiguration, type StageConfigurationLimits } from "./stage-configurations.js";

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
 *
 * Fast path, also exact: the best selection of single-variant configurations carrying all of λ̂
 * (an IPA-sized branch and bound) is an incumbent. If there is one, A = G is optimal, and a stage
 * configuration can be part of a better selection only if its value plus the other stages' largest
 * possible values ({@link maxStageValue}) reaches the incumbent's, so step (1) enumerates only G-unit
 * configurations above that floor, dropping partial ones that cannot reach it.
 */
export function searchFulcrum<T extends ShareOption>(p: FulcrumSearchProblem<T>): FulcrumSearchResult<T> {
  if (p.options.some((opts) => opts.length === 0)) return { status: "infeasible", generated: 0, nodes: 0 };
  const caps = stageCaps(p);
  const work = { generated: 0, nodes: 0 };
  const G = p.units;
  const single = p.options.map((opts, s) => opts.filter((o) => o.units === G && o.totalCores <= caps[s]!.maxCores && o.boundMs <= caps[s]!.maxBoundMs));
  if (single.every((opts) => opts.length > 0)) {
    const incumbent = branchAndBoundSingleChoice({ pipeline: p.pipeline, options: single, value: (o) => o.value, budgetMs: p.budgetMs, maxCores: p.maxCores }, p.nodeLimit);
    work.nodes += incumbent.nodes;
    if (incumbent.status === "node-limit") return { status: "node-limit", ...work };
    if (incumbent.status === "optimal") {
      const best = p.options.map((opts, s) => maxStageValue(opts, caps[s]!));
      const total = best.reduce((a, b) => a + b, 0);
      const frontiers = enumerateAll(p, caps, work, (s) => ({ units: G, minValue: incumbent.objective! - (total - best[s]!) }));
      if (!frontiers) return { status: "node-limit", ...work };
      const r = solveLevel(p, frontiers, G, work);
      // The incumbent's own configurations survive the floor, so A = G is always solved here.
      if (r) return r;
    }
  }
  const frontiers = enumerateAll(p, caps, work, () => undefined);
  if (!frontiers) return { status: "node-limit", ...work };
  for (let a = G; a >= 1; a--) {
    const r = solveLevel(p, frontiers, a, work);
    if (r) return r;
  }
  return { status: "infeasible", ...work };
}

type Caps = Pick<StageConfigurationLimits, "units" | "maxVariants" | "maxCores" | "maxBoundMs">;

/** Per stage, what the other stages leave at best: cores and the bound on the fastest path through it. */
function stageCaps<T extends ShareOption>(p: FulcrumSearchProblem<T>): Caps[] {
  const minCores = p.options.map((opts) => Math.min(...opts.map((o) => o.totalCores)));
  const minBound = p.options.map((opts) => Math.min(...opts.map((o) => o.boundMs)));
  const through = fastestPathThrough(p.pipeline, minBound);
  const totalMinCores = minCores.reduce((a, b) => a + b, 0);
  return p.options.map((_, s) => ({
    units: p.units,
    maxVariants: p.maxVariantsPerStage ?? Infinity,
    maxCores: p.maxCores - (totalMinCores - minCores[s]!),
    // The tolerance the branch and bound allows on path sums, so rounding never drops an option.
    maxBoundMs: p.budgetMs - (through[s]! - minBound[s]!) + 1e-7,
  }));
}

type Frontiers<T extends ShareOption> = (readonly (readonly StageConfiguration<T>[])[])[];

/** Every stage's configuration frontiers, or `undefined` past the work limit. */
function enumerateAll<T extends ShareOption>(
  p: FulcrumSearchProblem<T>,
  caps: readonly Caps[],
  work: { generated: number; nodes: number },
  target: (s: number) => StageConfigurationLimits["target"],
): Frontiers<T> | undefined {
  const frontiers: Frontiers<T> = [];
  for (const [s, opts] of p.options.entries()) {
    const t = target(s);
    const configs = enumerateStageConfigurations(opts, { ...caps[s]!, maxGenerated: p.nodeLimit - work.generated - work.nodes, ...(t ? { target: t } : {}) });
    if (!configs) {
      work.generated = p.nodeLimit - work.nodes;
      return undefined;
    }
    work.generated += configs.generated;
    frontiers.push(configs.byUnits);
  }
  return frontiers;
}

/** The best selection of A-unit configurations; `undefined` when there is none. */
function solveLevel<T extends ShareOption>(p: FulcrumSearchProblem<T>, frontiers: Frontiers<T>, a: number, work: { generated: number; nodes: number }): FulcrumSearchResult<T> | undefined {
  const level = frontiers.map((byUnits) => byUnits[a] ?? []);
  if (level.some((configs) => configs.length === 0)) return undefined;
  const bb = branchAndBoundSingleChoice({ pipeline: p.pipeline, options: level, value: (c) => c.value, budgetMs: p.budgetMs, maxCores: p.maxCores }, p.nodeLimit - work.generated - work.nodes);
  work.nodes += bb.nodes;
  if (bb.status === "node-limit") return { status: "node-limit", ...work };
  if (bb.status === "optimal") return { status: "optimal", admittedUnits: a, selection: bb.choice!.map((c) => c.options), value: bb.objective!, ...work };
  return undefined;
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
