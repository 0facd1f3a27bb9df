import { InvalidArgumentError } from "../errors/index.js";

/**
 * Quantile of an ascending-sorted, non-empty sample by linear interpolation between order statistics
 * (Hyndman–Fan type 7, numpy's and R's default): position `(n − 1)·q`. The one quantile rule of
 * Fulcrum: stage windows, gateway windows, the loadgen report, profiles and policy budgets all use
 * it, so a p99 means the same thing everywhere.
 * @param sorted ascending sample; not checked (callers that sort once use this)
 * @param q in [0, 1]
 */
export function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new InvalidArgumentError("sample", "quantile of an empty sample");
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError("q", `must be in [0, 1], got ${q}`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** {@link sortedQuantile} of an unsorted non-empty sample (sorts a copy). */
export function quantile(sample: readonly number[], q: number): number {
  return sortedQuantile([...sample].sort((a, b) => a - b), q);
}

/** {@link quantile}, or `empty` (default 0) for an empty sample: what metrics windows report. */
export function quantileOr(sample: readonly number[], q: number, empty = 0): number {
  return sample.length === 0 ? empty : quantile(sample, q);
}
