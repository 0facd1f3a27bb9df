import type { ChoiceOption, SingleChoiceProblem } from "./single-choice.js";

/** Outcome of {@link branchAndBoundSingleChoice}. */
export interface BranchAndBoundResult<T extends ChoiceOption> {
  /** `node-limit`: the search was cut off; `choice` (if any) is then only an incumbent. */
  readonly status: "optimal" | "infeasible" | "node-limit";
  readonly choice?: readonly T[];
  readonly objective?: number;
  readonly nodes: number;
}

interface StageIndex<T> {
  /** Options by value descending (branching order). */
  readonly byValue: readonly { o: T; v: number }[];
  /** Options by bound ascending with the running max of value and min of cores (bounding). */
  readonly byBound: readonly { bound: number; bestValue: number }[];
  readonly minBound: number;
  readonly minCores: number;
}

/**
 * Exact depth-first branch and bound for the one-option-per-stage problem, an alternative to the
 * MILP that is much faster at IPA's sizes. Stages are fixed in topological order; a node is cut when
 * (a) some unassigned stage cannot start early enough to finish on every path within the budget
 * even with its fastest option, (b) the remaining stages' cheapest cores exceed the core budget, or
 * (c) the optimistic value (each unassigned stage's best option whose bound fits its latency slack)
 * cannot beat the incumbent. All three are relaxations, so the search is exhaustive and exact; the
 * node limit only guards against pathological instances (the caller then uses the MILP).
 */
export function branchAndBoundSingleChoice<T extends ChoiceOption>(p: SingleChoiceProblem<T>, nodeLimit = 2_000_000, tolMs = 1e-7): BranchAndBoundResult<T> {
  const n = p.options.length;
  const order = p.pipeline.order;
  const index: StageIndex<T>[] = p.options.map((opts) => {
    const scored = opts.map((o) => ({ o, v: p.value(o) }));
    const byValue = [...scored].sort((a, b) => b.v - a.v);
    const asc = [...scored].sort((a, b) => a.o.boundMs - b.o.boundMs);
    let best = -Infinity;
    const byBound = asc.map((x) => ({ bound: x.o.boundMs, bestValue: (best = Math.max(best, x.v)) }));
    return { byValue, byBound, minBound: asc[0]?.o.boundMs ?? Infinity, minCores: Math.min(...opts.map((o) => o.totalCores)) };
  });
  if (index.some((ix) => ix.byValue.length === 0)) return { status: "infeasible", nodes: 0 };
  // tail[s]: longest path of fastest bounds strictly after s to a sink.
  const succ: number[][] = Array.from({ length: n }, () => []);
  p.pipeline.preds.forEach((ps, t) => ps.forEach((u) => succ[u]!.push(t)));
  const tail = new Array<number>(n).fill(0);
  for (let i = order.length - 1; i >= 0; i--) {
    const s = order[i]!;
    tail[s] = succ[s]!.reduce((m, t) => Math.max(m, index[t]!.minBound + tail[t]!), 0);
  }
  const bestValueWithin = (ix: StageIndex<T>, cap: number): number => {
    let lo = 0;
    let hi = ix.byBound.length - 1;
    let ans = -Infinity;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ix.byBound[mid]!.bound <= cap + tolMs) {
        ans = ix.byBound[mid]!.bestValue;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  };
  const finish = new Array<number>(n).fill(0);
  const chosen: T[] = new Array<T>(n);
  let bestObjective = -Infinity;
  let bestChoice: T[] | undefined;
  let nodes = 0;
  let cut = false;
  const est = new Array<number>(n).fill(0);
  const pos = new Array<number>(n).fill(0);
  order.forEach((s, i) => (pos[s] = i));

  const search = (depth: number, cores: number, value: number): void => {
    if (cut) return;
    if (depth === n) {
      if (value > bestObjective) {
        bestObjective = value;
        bestChoice = [...chosen];
      }
      return;
    }
    if (++nodes > nodeLimit) {
      cut = true;
      return;
    }
    // Earliest starts of unassigned stages (assigned preds use their real finish).
    let optimistic = value;
    let minCoresRest = 0;
    for (let i = depth; i < n; i++) {
      const s = order[i]!;
      est[s] = p.pipeline.preds[s]!.reduce((m, u) => Math.max(m, pos[u]! >= depth ? est[u]! + index[u]!.minBound : finish[u]!), 0);
      const cap = p.budgetMs - est[s]! - tail[s]!;
      if (cap + tolMs < index[s]!.minBound) return;
      if (i > depth) optimistic += bestValueWithin(index[s]!, cap);
      minCoresRest += index[s]!.minCores;
    }
    if (cores + minCoresRest > p.maxCores) return;
    const s = order[depth]!;
    const cap = p.budgetMs - est[s]! - tail[s]!;
    const otherCores = minCoresRest - index[s]!.minCores;
    for (const { o, v } of index[s]!.byValue) {
      if (optimistic + v <= bestObjective) break;
      if (o.boundMs > cap + tolMs || cores + o.totalCores + otherCores > p.maxCores) continue;
      chosen[s] = o;
      finish[s] = est[s]! + o.boundMs;
      search(depth + 1, cores + o.totalCores, value + v);
      if (cut) return;
    }
  };
  search(0, 0, 0);
  const base = bestChoice ? { choice: bestChoice, objective: bestObjective } : {};
  if (cut) return { status: "node-limit", nodes, ...base };
  return { status: bestChoice ? "optimal" : "infeasible", nodes, ...base };
}
