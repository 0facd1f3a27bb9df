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
 * arrays instead of an object per event: O(log n) push/pop and no allocation on the hot path
 * beyond the arrays' amortised growth.
 */
export class EventQueue {
  private times: number[] = [];
  private seqs: number[] = [];
  private targets: EventTarget[] = [];
  private kinds: number[] = [];
  private args: number[] = [];
  private nextSeq = 0;

  /** Events waiting. */
  get size(): number {
    return this.times.length;
  }

  /** Time of the earliest event, ms; `Infinity` when empty. */
  peekTime(): number {
    return this.times.length === 0 ? Infinity : (this.times[0] as number);
  }

  /** Schedules `target.onEvent(kind, arg, timeMs)` at `timeMs` (finite). */
  push(timeMs: number, target: EventTarget, kind: number, arg = 0): void {
    if (!Number.isFinite(timeMs)) throw new SimInvariantError(`event scheduled at a non-finite time ${timeMs}`);
    const seq = this.nextSeq++;
    let i = this.times.length;
    this.times.push(timeMs);
    this.seqs.push(seq);
    this.targets.push(target);
    this.kinds.push(kind);
    this.args.push(arg);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(timeMs, seq, this.times[p] as number, this.seqs[p] as number)) break;
      this.move(p, i);
      i = p;
    }
    this.put(i, timeMs, seq, target, kind, arg);
  }

  /**
   * Removes the earliest event and runs its handler with the event's time. Returns that time, or
   * `Infinity` when the queue was empty.
   */
  popAndRun(): number {
    const n = this.times.length;
    if (n === 0) return Infinity;
    const time = this.times[0] as number;
    const target = this.targets[0] as EventTarget;
    const kind = this.kinds[0] as number;
    const arg = this.args[0] as number;
    const lt = this.times.pop() as number;
    const ls = this.seqs.pop() as number;
    const lg = this.targets.pop() as EventTarget;
    const lk = this.kinds.pop() as number;
    const la = this.args.pop() as number;
    const m = n - 1;
    if (m > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        const r = l + 1;
        const c = r < m && before(this.times[r] as number, this.seqs[r] as number, this.times[l] as number, this.seqs[l] as number) ? r : l;
        if (!before(this.times[c] as number, this.seqs[c] as number, lt, ls)) break;
        this.move(c, i);
        i = c;
      }
      this.put(i, lt, ls, lg, lk, la);
    }
    target.onEvent(kind, arg, time);
    return time;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.seqs[to] = this.seqs[from] as number;
    this.targets[to] = this.targets[from] as EventTarget;
    this.kinds[to] = this.kinds[from] as number;
    this.args[to] = this.args[from] as number;
  }

  private put(i: number, t: number, s: number, g: EventTarget, k: number, a: number): void {
    this.times[i] = t;
    this.seqs[i] = s;
    this.targets[i] = g;
    this.kinds[i] = k;
    this.args[i] = a;
  }
}

/** (t1, s1) strictly before (t2, s2): earlier time, or the same time and scheduled first. */
function before(t1: number, s1: number, t2: number, s2: number): boolean {
  return t1 < t2 || (t1 === t2 && s1 < s2);
}
