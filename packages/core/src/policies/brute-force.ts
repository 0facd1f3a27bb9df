import { allPaths, type CompiledPipeline } from "./pipeline.js";
import type { StageOption } from "./options.js";

/** Best of a Cartesian product found by exhaustive search. */
export interface BruteForceResult<T> {
  readonly objective: number;
  readonly choice: readonly T[];
  /** Combinations visited. */
  readonly visited: number;
}

/**
 * Exhaustive search over the Cartesian product of `choices` (one entry per position), keeping the
 * feasible combination with the largest objective. `evaluate` returns `undefined` for infeasible.
 * The reference the exact policies are tested against; only for enumerable instances.
 * @throws RangeError when the product exceeds `maxCombinations`.
 */
export function bruteForce<T>(
  choices: readonly (readonly T[])[],
  evaluate: (combo: readonly T[]) => number | undefined,
  maxCombinations = 2_000_000,
): BruteForceResult<T> | undefined {
  const total = choices.reduce((p, c) => p * c.length, 1);
  if (total > maxCombinations) throw new RangeError(`${total} combinations exceed the brute-force limit of ${maxCombinations}`);
  if (total === 0) return undefined;
  const idx = choices.map(() => 0);
  let best: { objective: number; choice: T[] } | undefined;
  for (let visited = 0; visited < total; visited++) {
    const combo = idx.map((k, s) => choices[s]![k]!);
    const v = evaluate(combo);
    if (v !== undefined && (!best || v > best.objective)) best = { objective: v, choice: combo };
    for (let s = idx.length - 1; s >= 0; s--) {
      idx[s]!++;
      if (idx[s]! < choices[s]!.length) break;
      idx[s] = 0;
    }
  }
  return best && { ...best, visited: total };
}

/**
 * Brute force of the one-option-per-stage problem, checking every source→sink path explicitly
 * (independent of the MILP's finish-time rows) and Σ cores. `tolMs` absorbs float rounding.
 */
export function bruteForceSingleChoice<T extends StageOption>(
  pipeline: CompiledPipeline,
  options: readonly (readonly T[])[],
  value: (o: T) => number,
  budgetMs: number,
  maxCores: number,
  tolMs = 1e-7,
): BruteForceResult<T> | undefined {
  const paths = allPaths(pipeline);
  return bruteForce(options, (combo) => {
    if (combo.reduce((s, o) => s + o.totalCores, 0) > maxCores) return undefined;
    for (const path of paths) if (path.reduce((s, st) => s + combo[st]!.boundMs, 0) > budgetMs + tolMs) return undefined;
    return combo.reduce((s, o) => s + value(o), 0);
  });
}

/** What {@link bruteForceFulcrum} needs of an option. */
interface SharedOption {
  readonly variantIndex: number;
  readonly units: number;
  readonly boundMs: number;
  readonly totalCores: number;
  readonly value: number;
}

/** The lexicographic optimum of Fulcrum's problem found by enumeration. */
export interface FulcrumBruteForceResult<T> {
  /** Largest admissible Σ units (the same on every stage). */
  readonly admittedUnits: number;
  /** Best Σ value among the selections admitting that much (shed penalty excluded). */
  readonly value: number;
  /** Chosen options per stage. */
  readonly selection: readonly (readonly T[])[];
  /** Stage-configuration combinations checked. */
  readonly visited: number;
}

/**
 * Brute force of Fulcrum's problem, straight from its definition and independent of the MILP: every
 * stage configuration (per variant: nothing or one option; ≥ 1 and ≤ `maxVariantsPerStage` active;
 * Σ units ≤ `units`) is enumerated, then for A = units, units−1, …, 1 every combination of stage
 * configurations that all carry A units is checked against Σ cores and every source→sink path's Σ of
 * stage bounds (a stage's bound is the max over its active options). The first A with a feasible
 * combination wins (shedding is lexicographically last), then the largest Σ value.
 * @throws RangeError when a level needs more than `maxCombinations` combinations.
 */
export function bruteForceFulcrum<T extends SharedOption>(
  pipeline: CompiledPipeline,
  options: readonly (readonly T[])[],
  units: number,
  budgetMs: number,
  maxCores: number,
  maxVariantsPerStage = Infinity,
  tolMs = 1e-7,
  maxCombinations = 5_000_000,
): FulcrumBruteForceResult<T> | undefined {
  interface StageConfig {
    readonly sel: T[];
    readonly bound: number;
    readonly cores: number;
    readonly value: number;
  }
  const byUnits: Map<number, StageConfig[]>[] = options.map((opts) => {
    const variants = [...new Set(opts.map((o) => o.variantIndex))];
    const choices: (T | undefined)[][] = variants.map((v) => [undefined, ...opts.filter((o) => o.variantIndex === v)]);
    const out = new Map<number, StageConfig[]>();
    const walk = (i: number, sel: T[]): void => {
      if (i === choices.length) {
        const u = sel.reduce((s, o) => s + o.units, 0);
        if (sel.length === 0 || sel.length > maxVariantsPerStage || u > units) return;
        const cfg = { sel: [...sel], bound: Math.max(...sel.map((o) => o.boundMs)), cores: sel.reduce((s, o) => s + o.totalCores, 0), value: sel.reduce((s, o) => s + o.value, 0) };
        out.set(u, [...(out.get(u) ?? []), cfg]);
        return;
      }
      for (const c of choices[i]!) {
        if (c) sel.push(c);
        walk(i + 1, sel);
        if (c) sel.pop();
      }
    };
    walk(0, []);
    return out;
  });
  const paths = allPaths(pipeline);
  let visited = 0;
  for (let a = units; a >= 1; a--) {
    const levels = byUnits.map((m) => m.get(a) ?? []);
    let best: { value: number; selection: T[][] } | undefined;
    const found = bruteForce(
      levels,
      (combo) => {
        visited++;
        if (combo.reduce((s, c) => s + c.cores, 0) > maxCores) return undefined;
        for (const path of paths) if (path.reduce((s, st) => s + combo[st]!.bound, 0) > budgetMs + tolMs) return undefined;
        return combo.reduce((s, c) => s + c.value, 0);
      },
      maxCombinations,
    );
    if (found) best = { value: found.objective, selection: found.choice.map((c) => c.sel) };
    if (best) return { admittedUnits: a, value: best.value, selection: best.selection, visited };
  }
  return undefined;
}
