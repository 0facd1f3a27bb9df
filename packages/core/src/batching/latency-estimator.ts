/**
 * Online estimate of a session's batch latency (dispatch → result, ms) by batch size, learned from
 * the batches it runs, for the EDF batcher's deadline decisions. Pure: the caller feeds observations.
 *
 * Sizes seen get an EWMA; other sizes come from a least-squares line over the sizes seen (two or
 * more), or by scaling the one size seen proportionally (conservative above it). Never below the
 * smallest EWMA seen, because a bigger batch is not faster.
 */
export class LatencyEstimator {
  private readonly ewma = new Map<number, number>();
  /** Predictions by batch size since the last observation (the batcher asks several times per request). */
  private readonly cache = new Map<number, number>();

  constructor(
    /** Prediction before any observation, ms per batch of 1. */
    private readonly priorMs = 5,
    /** EWMA weight of a new observation. */
    private readonly alpha = 0.2,
  ) {}

  /** Records that a batch of `batchSize` took `ms`. Non-finite or negative values are ignored. */
  observe(batchSize: number, ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms) || !(batchSize >= 1)) return;
    const prev = this.ewma.get(batchSize);
    this.ewma.set(batchSize, prev === undefined ? ms : prev + this.alpha * (ms - prev));
    this.cache.clear();
  }

  /**
   * Drops every observation: predictions return to the prior until the next `observe`. For a caller
   * whose estimate can no longer be checked (a stage refusing everything on it measures nothing).
   */
  forget(): void {
    this.ewma.clear();
    this.cache.clear();
  }

  /** Predicted latency of a batch of `batchSize`, ms (finite, ≥ 0). */
  predict(batchSize: number): number {
    let ms = this.cache.get(batchSize);
    if (ms === undefined) this.cache.set(batchSize, (ms = this.compute(batchSize)));
    return ms;
  }

  private compute(batchSize: number): number {
    const seen = this.ewma.get(batchSize);
    if (this.ewma.size === 0) return this.priorMs * batchSize;
    let minSeen = Infinity;
    for (const v of this.ewma.values()) minSeen = Math.min(minSeen, v);
    if (seen !== undefined) return seen;
    if (this.ewma.size === 1) {
      const [[b0, l0]] = [...this.ewma.entries()] as [[number, number]];
      return batchSize > b0 ? (l0 * batchSize) / b0 : l0;
    }
    // Least-squares line through (b, l) of the sizes seen.
    let n = 0, sb = 0, sl = 0, sbb = 0, sbl = 0;
    for (const [b, l] of this.ewma) {
      n++; sb += b; sl += l; sbb += b * b; sbl += b * l;
    }
    const den = n * sbb - sb * sb;
    const slope = den > 0 ? Math.max(0, (n * sbl - sb * sl) / den) : 0;
    const intercept = (sl - slope * sb) / n;
    return Math.max(minSeen, intercept + slope * batchSize);
  }

  /** Batch sizes observed so far. */
  observedSizes(): number[] {
    return [...this.ewma.keys()].sort((a, b) => a - b);
  }
}
