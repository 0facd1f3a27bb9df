/**
 * A piecewise-constant quantity over time (cores allocated, accuracy of the assignment in force,
 * λ̂), integrated exactly into one-second bins and over the whole run, up to a horizon (the run's
 * end: replicas still draining after it are not the run's cost). `set` must be called with
 * non-decreasing times.
 */
export class StepIntegrator {
  private value: number;
  private sinceMs = 0;
  private total = 0;
  /** ∫ value dt per second, value·ms. */
  readonly perSecond: number[] = [];

  /** @param horizonMs nothing after this time is integrated. @default Infinity */
  constructor(
    initial: number,
    private readonly horizonMs = Infinity,
  ) {
    this.value = initial;
  }

  /** The current value. */
  get current(): number {
    return this.value;
  }

  /** The value becomes `value` at `nowMs`. */
  set(value: number, nowMs: number): void {
    if (value === this.value) return;
    this.advance(nowMs);
    this.value = value;
  }

  /** Adds `delta` to the value at `nowMs`. */
  add(delta: number, nowMs: number): void {
    this.set(this.value + delta, nowMs);
  }

  /** Closes the books at `endMs`; returns the time average over [0, endMs). */
  meanUntil(endMs: number): number {
    this.advance(endMs);
    return endMs > 0 ? this.total / endMs : this.value;
  }

  /** Per-second averages for seconds 0..seconds−1 (after {@link meanUntil}). */
  secondAverages(seconds: number): number[] {
    const out = new Array<number>(seconds);
    for (let s = 0; s < seconds; s++) out[s] = (this.perSecond[s] ?? 0) / 1000;
    return out;
  }

  private advance(untilMs: number): void {
    let t = this.sinceMs;
    const toMs = Math.min(untilMs, this.horizonMs);
    if (toMs <= t) return;
    const v = this.value;
    this.total += v * (toMs - t);
    if (v !== 0) {
      while (t < toMs) {
        const s = Math.floor(t / 1000);
        const end = Math.min(toMs, (s + 1) * 1000);
        this.perSecond[s] = (this.perSecond[s] ?? 0) + v * (end - t);
        t = end;
      }
    }
    this.sinceMs = toMs;
  }
}
