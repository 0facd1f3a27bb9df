import type { Codec, Bus, Stoppable, TypedKv } from "@fulcrum/runtime";

/** One observation: a value (undefined for a KV delete) and the kit's receipt time. */
export interface Observed<T> {
  readonly value: T;
  /** Kit clock at receipt, Unix ms. */
  readonly atMs: number;
}

/**
 * Records everything seen on one source from the moment it starts, so a clause can look back
 * (heartbeats seen while other clauses ran) or wait for what comes next.
 */
class Tap<T> {
  readonly seen: Array<Observed<T>> = [];
  private waiters: Array<() => void> = [];

  constructor(private readonly now: () => number) {}

  /** Records one observation and wakes the waiters. */
  record(value: T): void {
    this.seen.push({ value, atMs: this.now() });
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * The first observation at index ≥ `from` that satisfies `pred`, waiting up to `timeoutMs` for
   * one to arrive; undefined on timeout.
   */
  async waitFor(pred: (v: T, o: Observed<T>) => boolean, timeoutMs: number, from = 0): Promise<(Observed<T> & { index: number }) | undefined> {
    const deadline = this.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.seen.length; i++) {
        const o = this.seen[i]!;
        if (pred(o.value, o)) return { ...o, index: i };
      }
      const left = deadline - this.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A tap on a NATS subject carrying one protobuf message type. */
export class SubjectTap<T> extends Tap<T> {
  private sub: Stoppable | undefined;

  static start<T>(bus: Bus, subject: string, codec: Codec<T>, now: () => number): SubjectTap<T> {
    const tap = new SubjectTap<T>(now);
    tap.sub = bus.subscribe(subject, codec, (m) => tap.record(m));
    return tap;
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}

/** A tap on one KV key: puts record the value, deletes record undefined. */
export class KvTap<T> extends Tap<T | undefined> {
  private watch: Stoppable | undefined;

  static async start<T>(kv: TypedKv, key: string, codec: Codec<T>, now: () => number): Promise<KvTap<T>> {
    const tap = new KvTap<T>(now);
    tap.watch = await kv.watch(key, codec, (v) => tap.record(v));
    return tap;
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
  }
}
