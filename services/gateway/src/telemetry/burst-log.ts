/** Options of {@link BurstLog}. */
export interface BurstLogOptions {
  /** Writes one line (a pino call in the gateway). */
  readonly write: (fields: Record<string, unknown>, message: string) => void;
  readonly message: string;
  /** At most one line per this period, ms. */
  readonly intervalMs: number;
  /** Unix ms clock. */
  readonly clock: () => number;
}

/**
 * A log line per burst of events rather than per event, so a flood cannot flood the log: the
 * first event is written at once; later ones are counted by kind and written as one line at the
 * end of each `intervalMs` that had any, with the last event's details as an example.
 */
export class BurstLog {
  private counts: Record<string, number> = {};
  private example: Record<string, unknown> | undefined;
  private lastWriteMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: BurstLogOptions) {}

  /** Counts one event of `kind` with its details. */
  note(kind: string, details: Record<string, unknown>): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    this.example = details;
    const now = this.o.clock();
    if (now - this.lastWriteMs >= this.o.intervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.lastWriteMs + this.o.intervalMs - now).unref();
  }

  /** Writes what was counted since the last line (nothing when nothing was). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const now = this.o.clock();
    const sinceMs = Number.isFinite(this.lastWriteMs) ? Math.round(now - this.lastWriteMs) : 0;
    this.o.write({ count: total, byKind: this.counts, sinceMs, example: this.example }, this.o.message);
    this.counts = {};
    this.example = undefined;
    this.lastWriteMs = now;
  }
}
