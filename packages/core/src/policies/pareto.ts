/** What {@link paretoFilter} compares: smaller bound, fewer cores and larger value are better. */
export interface ParetoPoint {
  readonly boundMs: number;
  /** A non-negative integer (cores are whole). */
  readonly totalCores: number;
  readonly value: number;
}

/**
 * The points no other point weakly dominates in (bound ≤, cores ≤, value ≥); of exact duplicates
 * one is kept. O(n log n): a sweep in bound order with a Fenwick tree holding, per cores level, the
 * best value seen so far, so "is there an earlier point with fewer or equal cores and at least this
 * value" is one prefix-maximum query.
 */
export function paretoFilter<T extends ParetoPoint>(points: readonly T[]): T[] {
  if (points.length <= 1) return [...points];
  // Bound ascending, then cores ascending, then value descending: every possible dominator of a
  // point comes before it.
  const sorted = [...points].sort((a, b) => a.boundMs - b.boundMs || a.totalCores - b.totalCores || b.value - a.value);
  let maxCores = 0;
  for (const p of sorted) if (p.totalCores > maxCores) maxCores = p.totalCores;
  // Indexed by cores + 1 (Fenwick trees start at 1); cores are small integers, so no compression.
  const tree = new Float64Array(maxCores + 2).fill(-Infinity);
  const kept: T[] = [];
  for (const p of sorted) {
    const r = p.totalCores + 1;
    let best = -Infinity;
    for (let i = r; i > 0; i -= i & -i) if (tree[i]! > best) best = tree[i]!;
    if (best >= p.value) continue;
    kept.push(p);
    for (let i = r; i < tree.length; i += i & -i) if (tree[i]! < p.value) tree[i] = p.value;
  }
  return kept;
}
