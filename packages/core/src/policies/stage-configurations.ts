import { paretoFilter, type ParetoPoint } from "./pareto.js";

/** What the enumeration needs of a shared-stage option (Fulcrum's `FulcrumOption` is one). */
export interface ShareOption extends ParetoPoint {
  readonly variantIndex: number;
  /** Share of λ̂ carried, in units of 1/G. */
  readonly units: number;
}

/**
 * One way to run a stage: at most one option per variant, carrying `units`/G of λ̂ in total. Its
 * bound is the max over its options (every request may take any of them), cores and value are sums.
 */
export interface StageConfiguration<T extends ShareOption> extends ParetoPoint {
  readonly units: number;
  readonly options: readonly T[];
}

/** Limits of {@link enumerateStageConfigurations}. */
export interface StageConfigurationLimits {
  /** G: configurations carry 1..G units. */
  readonly units: number;
  /** At most this many active variants (`Infinity` for no limit). */
  readonly maxVariants: number;
  /** Configurations over this many cores are dropped (none can be part of a feasible selection). */
  readonly maxCores: number;
  /** Options over this bound are dropped, ms. */
  readonly maxBoundMs: number;
  /** Work guard: give up (return `undefined`) after generating this many partial configurations. */
  readonly maxGenerated: number;
}

/** Result of {@link enumerateStageConfigurations}. */
export interface StageConfigurations<T extends ShareOption> {
  /** Index u: the non-dominated configurations carrying exactly u units (index 0 is empty). */
  readonly byUnits: readonly (readonly StageConfiguration<T>[])[];
  /** Partial configurations generated (the work done). */
  readonly generated: number;
}

/** A partial configuration as a linked list, so a candidate costs O(1) until it is kept. */
interface PartialConfiguration extends ParetoPoint {
  readonly units: number;
  readonly option?: ShareOption;
  readonly prev?: PartialConfiguration;
}

/**
 * Every stage configuration that some optimal selection might use: the Pareto frontier in (bound ≤,
 * cores ≤, value ≥) per number of units, built variant by variant. After each variant the partial
 * configurations with the same units (and, under a variant limit, the same count) are filtered to
 * their frontier. Exact: a dominated partial configuration extended by any options of the remaining
 * variants is dominated by its dominator extended the same way (bound is a max, cores and value are
 * sums), and the stage meets the rest of the problem only through its units, bound and cores.
 * `undefined` when `maxGenerated` is exceeded.
 */
export function enumerateStageConfigurations<T extends ShareOption>(options: readonly T[], limits: StageConfigurationLimits): StageConfigurations<T> | undefined {
  const G = limits.units;
  const variants = new Map<number, T[]>();
  for (const o of options) {
    if (o.units > G || o.totalCores > limits.maxCores || o.boundMs > limits.maxBoundMs) continue;
    const g = variants.get(o.variantIndex);
    if (g) g.push(o);
    else variants.set(o.variantIndex, [o]);
  }
  // Counting active variants is needed only when the limit can bind.
  const K = limits.maxVariants < variants.size ? limits.maxVariants : 0;
  const slot = (k: number): number => (K > 0 ? k : 0);
  let states: PartialConfiguration[][][] = Array.from({ length: G + 1 }, () => Array.from({ length: K + 1 }, () => []));
  states[0]![0]!.push({ units: 0, boundMs: 0, totalCores: 0, value: 0 });
  let generated = 0;
  for (const variantOptions of variants.values()) {
    const groups = unitGroups(variantOptions);
    const next = states.map((row) => row.map((list) => [...list]));
    for (let u = 0; u < G; u++) {
      for (let k = 0; k <= K; k++) {
        if (K > 0 && k === K) continue;
        for (const s of states[u]![k]!) {
          for (const g of groups) {
            const units = u + g.units;
            if (units > G) break;
            const out = next[units]![slot(k + 1)]!;
            // Options no slower than s leave the bound at s's: only their (cores, value) frontier counts.
            let p = 0;
            while (p < g.byBound.length && g.byBound[p]!.boundMs <= s.boundMs) p++;
            for (const o of g.prefixFrontier[p]!) {
              const totalCores = s.totalCores + o.totalCores;
              if (totalCores > limits.maxCores) continue;
              if (++generated > limits.maxGenerated) return undefined;
              out.push({ units, boundMs: s.boundMs, totalCores, value: s.value + o.value, option: o, prev: s });
            }
            for (let i = p; i < g.byBound.length; i++) {
              const o = g.byBound[i]!;
              const totalCores = s.totalCores + o.totalCores;
              if (totalCores > limits.maxCores) continue;
              if (++generated > limits.maxGenerated) return undefined;
              out.push({ units, boundMs: o.boundMs, totalCores, value: s.value + o.value, option: o, prev: s });
            }
          }
        }
      }
    }
    states = next.map((row) => row.map((list) => paretoFilter(list)));
  }
  const byUnits = states.map((row, u) =>
    u === 0 ? [] : paretoFilter(row.flat()).map((p): StageConfiguration<T> => ({ units: p.units, boundMs: p.boundMs, totalCores: p.totalCores, value: p.value, options: optionsOf<T>(p) })),
  );
  return { byUnits, generated };
}

/** One variant's options carrying the same units. */
interface UnitGroup<T> {
  readonly units: number;
  /** By bound ascending. */
  readonly byBound: readonly T[];
  /** Index p: the (cores ≤, value ≥) frontier of `byBound[0..p)`. */
  readonly prefixFrontier: readonly (readonly T[])[];
}

/** A variant's options grouped by units (ascending), with the prefix frontiers the extension step uses. */
function unitGroups<T extends ShareOption>(options: readonly T[]): UnitGroup<T>[] {
  const byUnits = new Map<number, T[]>();
  for (const o of options) byUnits.set(o.units, [...(byUnits.get(o.units) ?? []), o]);
  return [...byUnits.entries()]
    .sort(([a], [b]) => a - b)
    .map(([units, opts]) => {
      const byBound = [...opts].sort((a, b) => a.boundMs - b.boundMs);
      const prefixFrontier = byBound.map((_, p) => coresValueFrontier(byBound.slice(0, p)));
      prefixFrontier.push(coresValueFrontier(byBound));
      return { units, byBound, prefixFrontier };
    });
}

/** The options no other one weakly dominates in (cores ≤, value ≥). */
function coresValueFrontier<T extends ShareOption>(options: readonly T[]): T[] {
  const sorted = [...options].sort((a, b) => a.totalCores - b.totalCores || b.value - a.value);
  const kept: T[] = [];
  for (const o of sorted) if (kept.length === 0 || o.value > kept[kept.length - 1]!.value) kept.push(o);
  return kept;
}

function optionsOf<T extends ShareOption>(p: PartialConfiguration): T[] {
  const out: T[] = [];
  for (let q: PartialConfiguration | undefined = p; q?.option; q = q.prev) out.push(q.option as T);
  return out.reverse();
}
