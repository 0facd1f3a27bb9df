/** What the heap orders by: earliest deadline first, then arrival sequence (FIFO among equal deadlines). */
export interface HeapItem {
  readonly deadlineMs: number;
  readonly seq: number;
}

/**
 * Array-backed binary min-heap keyed by (`deadlineMs`, `seq`). O(log n) push/pop, O(1) peek.
 * The `seq` tie-break makes the order total, so equal deadlines pop in arrival order and the
 * batcher is deterministic (the simulator replays the same trace to the same batches).
 */
export class DeadlineHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  /** Number of items in the heap. */
  get size(): number {
    return this.items.length;
  }

  /** The earliest-deadline item, or `undefined` when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (!before(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  /** Removes and returns the earliest-deadline item, or `undefined` when empty. */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(a[r] as T, a[l] as T)) c = r;
      const child = a[c] as T;
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function before(x: HeapItem, y: HeapItem): boolean {
  return x.deadlineMs < y.deadlineMs || (x.deadlineMs === y.deadlineMs && x.seq < y.seq);
}
