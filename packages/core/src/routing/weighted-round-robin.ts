/**
 * Smooth weighted round robin (nginx's algorithm): every pick adds each candidate's weight to its
 * running score, picks the highest score and subtracts the total from it. Over any window of
 * `Σw / gcd` picks each candidate is chosen exactly in proportion to its weight, and picks of one
 * candidate are spread out instead of bunched (weights 3:1 give a a b a, not a a a b).
 */

/** Running scores per candidate; carry it from one pick to the next. */
export type WrrState = ReadonlyMap<string, number>;

/** One candidate and its weight (≥ 0; a 0 weight is never picked). */
export interface WeightedCandidate {
  readonly key: string;
  readonly weight: number;
}

/** The chosen key (undefined when no candidate has a positive weight) and the next state. */
export interface WrrPick {
  readonly key: string | undefined;
  readonly state: WrrState;
}

/**
 * Picks the next candidate. Candidates absent from `state` start at 0; keys in `state` but not in
 * `candidates` are dropped, so a changed weight set converges to its new proportions at once.
 */
export function pickWeighted(candidates: readonly WeightedCandidate[], state: WrrState = new Map()): WrrPick {
  const next = new Map<string, number>();
  let total = 0;
  let best: string | undefined;
  let bestScore = -Infinity;
  for (const c of candidates) {
    if (!(c.weight > 0) || !Number.isFinite(c.weight)) continue;
    const score = (state.get(c.key) ?? 0) + c.weight;
    next.set(c.key, score);
    total += c.weight;
    if (score > bestScore) {
      bestScore = score;
      best = c.key;
    }
  }
  if (best !== undefined) next.set(best, bestScore - total);
  return { key: best, state: next };
}
