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
  /**
   * Only configurations carrying exactly `units` whose value can reach `minValue` are wanted: a
   * partial configuration is dropped as soon as even the best options of the remaining variants
   * (ignoring bounds and cores) cannot lift it to `minValue`. Omitted: every units 1..G, no floor.
   */
  readonly target?: { readonly units: number; readonly minValue: number };
}

/** The option filter both functions below apply: within G, the cores cap and the bound cap. */
type OptionCaps = Pick<StageConfigurationLimits, "units" | "maxCores" | "maxBoundMs">;

/** Rounding slack when comparing summed values against a floor. */
const VALUE_TOL = 1e-9;

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
  const variants = eligibleByVariant(options, limits);
  // With a target, units beyond it are useless, and reach[k][r] bounds what variants k.. add with r units.
  const G = limits.target?.units ?? limits.units;
  const reach = limits.target ? completionBounds(variants, G) : undefined;
  const floor = limits.target ? limits.target.minValue - VALUE_TOL : -Infinity;
  const canReach = (k: number, units: number, value: number): boolean => !reach || value + reach[k]![G - units]! >= floor;
  // Counting active variants is needed only when the limit can bind.
  const K = limits.maxVariants < variants.length ? limits.maxVariants : 0;
  const slot = (k: number): number => (K > 0 ? k : 0);
  let states: PartialConfiguration[][][] = Array.from({ length: G + 1 }, () => Array.from({ length: K + 1 }, () => []));
  if (canReach(0, 0, 0)) states[0]![0]!.push({ units: 0, boundMs: 0, totalCores: 0, value: 0 });
  let generated = 0;
  for (const [v, variantOptions] of variants.entries()) {
    const groups = unitGroups(variantOptions);
    // Not using this variant: kept if the variants after it can still lift the value to the floor.
    const next = states.map((row) => row.map((list) => list.filter((s) => canReach(v + 1, s.units, s.value))));
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
              if (totalCores > limits.maxCores || !canReach(v + 1, units, s.value + o.value)) continue;
              if (++generated > limits.maxGenerated) return undefined;
              out.push({ units, boundMs: s.boundMs, totalCores, value: s.value + o.value, option: o, prev: s });
            }
            for (let i = p; i < g.byBound.length; i++) {
              const o = g.byBound[i]!;
              const totalCores = s.totalCores + o.totalCores;
              if (totalCores > limits.maxCores || !canReach(v + 1, units, s.value + o.value)) continue;
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
    u === 0 || (limits.target && u !== limits.target.units) ? [] : paretoFilter(row.flat()).map((p): StageConfiguration<T> => ({ units: p.units, boundMs: p.boundMs, totalCores: p.totalCores, value: p.value, options: optionsOf<T>(p) })),
  );
  return { byUnits, generated };
}

/**
 * The largest value of any configuration carrying exactly `units` (at most one option per variant,
 * options within the caps), ignoring the bound and cores it adds up to: an upper bound on what the
 * stage can contribute. `-Infinity` when no configuration carries exactly `units`.
 */
export function maxStageValue(options: readonly ShareOption[], caps: OptionCaps): number {
  return completionBounds(eligibleByVariant(options, caps), caps.units)[0]![caps.units]!;
}

/** The options within the caps, grouped by variant. */
function eligibleByVariant<T extends ShareOption>(options: readonly T[], caps: OptionCaps): T[][] {
  const variants = new Map<number, T[]>();
  for (const o of options) {
    if (o.units > caps.units || o.totalCores > caps.maxCores || o.boundMs > caps.maxBoundMs) continue;
    const g = variants.get(o.variantIndex);
    if (g) g.push(o);
    else variants.set(o.variantIndex, [o]);
  }
  return [...variants.values()];
}

/**
 * reach[k][r]: the largest Σ value that variants k, k+1, … add with exactly r units (at most one
 * option each), `-Infinity` when impossible; reach[n][0] = 0.
 */
function completionBounds(variants: readonly (readonly ShareOption[])[], units: number): number[][] {
  const reach: number[][] = Array.from({ length: variants.length + 1 }, () => new Array<number>(units + 1).fill(-Infinity));
  reach[variants.length]![0] = 0;
  for (let k = variants.length - 1; k >= 0; k--) {
    const row = reach[k]!;
    const after = reach[k + 1]!;
    for (let r = 0; r <= units; r++) row[r] = after[r]!;
    for (const o of variants[k]!) {
      for (let r = o.units; r <= units; r++) {
        const v = o.value + after[r - o.units]!;
        if (v > row[r]!) row[r] = v;
      }
    }
  }
  return reach;
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
