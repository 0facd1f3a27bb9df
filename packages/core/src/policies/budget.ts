import { quantile } from "../stats/index.js";
import type { BudgetSummary } from "./types.js";


/**
 * The tightest pending budget a policy must meet: the `q`-quantile of the remaining budgets, a LOW
 * quantile by design (Sponge's code used the last observed value, so one relaxed request hid many
 * tight ones). From precomputed quantiles it takes the largest listed q ≤ `q` (conservative), or the
 * smallest listed one. `undefined` when there is nothing to go on.
 */
export function tightestBudgetMs(budgets: BudgetSummary | undefined, q: number): number | undefined {
  if (!budgets) return undefined;
  if (budgets.pendingMs && budgets.pendingMs.length > 0) return quantile(budgets.pendingMs, q);
  const qs = [...(budgets.quantilesMs ?? [])].sort((a, b) => a.q - b.q);
  if (qs.length === 0) return undefined;
  const below = qs.filter((x) => x.q <= q + 1e-12);
  return (below.length > 0 ? below[below.length - 1]! : qs[0]!).valueMs;
}

/** The latency budget after the safety margin: `sloMs · (1 − marginFraction)`, tightened by `pendingMs`. */
export function effectiveBudgetMs(sloMs: number, marginFraction: number, pendingMs?: number): number {
  const slo = sloMs * (1 - marginFraction);
  return pendingMs === undefined ? slo : Math.min(slo, pendingMs * (1 - marginFraction));
}
