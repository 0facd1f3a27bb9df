import { SimInvariantError } from "./errors.js";

/**
 * Something that handles events: a replica (batch done, batcher wake, switch applied), the
 * engine's own timers. `kind` and `arg` are small integers the target gave when scheduling, so
 * scheduling allocates nothing per event (no closures).
 */
export interface EventTarget {
  onEvent(kind: number, arg: number, nowMs: number): void;
}

/**
 * The simulator's event queue: a binary min-heap keyed by (time, insertion sequence), so events
 * at equal times pop in the order they were scheduled (stable, hence deterministic). Parallel
 * typed arrays instead of an object per event: O(log n) push/pop and no allocation on the hot
 * path beyond the arrays' amortised doubling.
 */
export class EventQueue {
  private times = new Float64Array(256);
  private seqs = new Float64Array(256);
  private args = new Float64Array(256);
  private kinds = new Uint8Array(256);
  private targets: (EventTarget | undefined)[] = new Array<EventTarget | undefined>(256);
  private n = 0;
  private nextSeq = 0;

  /** Events waiting. */
  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, ms; `Infinity` when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : (this.times[0] as number);
  }

  /** Schedules `target.onEvent(kind, arg, timeMs)` at `timeMs` (finite; `kind` 0–255). */
  push(timeMs: number, target: EventTarget, kind: number, arg = 0): void {
    if (!Number.isFinite(timeMs)) throw new SimInvariantError(`event scheduled at a non-finite time ${timeMs}`);
    if (this.n === this.times.length) this.grow();
    const seq = this.nextSeq++;
    const times = this.times;
    const seqs = this.seqs;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const tp = times[p] as number;
      if (!(timeMs < tp || (timeMs === tp && seq < (seqs[p] as number)))) break;
      this.move(p, i);
      i = p;
    }
    times[i] = timeMs;
    seqs[i] = seq;
    this.args[i] = arg;
    this.kinds[i] = kind;
    this.targets[i] = target;
  }

  /**
   * Removes the earliest event and runs its handler with the event's time. Returns that time, or
   * `Infinity` when the queue was empty.
   */
  popAndRun(): number {
    if (this.n === 0) return Infinity;
    const times = this.times;
    const seqs = this.seqs;
    const time = times[0] as number;
    const target = this.targets[0] as EventTarget;
    const kind = this.kinds[0] as number;
    const arg = this.args[0] as number;
    const m = --this.n;
    if (m > 0) {
      const lt = times[m] as number;
      const ls = seqs[m] as number;
      const la = this.args[m] as number;
      const lk = this.kinds[m] as number;
      const lg = this.targets[m];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        let c = l;
        if (r < m) {
          const tr = times[r] as number;
          const tl = times[l] as number;
          if (tr < tl || (tr === tl && (seqs[r] as number) < (seqs[l] as number))) c = r;
        }
        const tc = times[c] as number;
        if (!(tc < lt || (tc === lt && (seqs[c] as number) < ls))) break;
        this.move(c, i);
        i = c;
      }
      times[i] = lt;
      seqs[i] = ls;
      this.args[i] = la;
      this.kinds[i] = lk;
      this.targets[i] = lg;
    }
    this.targets[m] = undefined;
    target.onEvent(kind, arg, time);
    return time;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.seqs[to] = this.seqs[from] as number;
    this.args[to] = this.args[from] as number;
    this.kinds[to] = this.kinds[from] as number;
    this.targets[to] = this.targets[from];
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    this.times = t;
    const s = new Float64Array(cap);
    s.set(this.seqs);
    this.seqs = s;
    const a = new Float64Array(cap);
    a.set(this.args);
    this.args = a;
    const k = new Uint8Array(cap);
    k.set(this.kinds);
    this.kinds = k;
    this.targets.length = cap;
  }
}
