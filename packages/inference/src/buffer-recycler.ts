/**
 * Free lists of transfer buffers by exact byte length. A batch's input buffer goes to the worker
 * (transferred), comes back with the result (transferred again) and is reused for the next batch
 * of the same size: at saturation no batch allocates, zero-fills or frees memory, and no buffer is
 * freed on another thread than the one that allocated it (which made malloc page-fault on every
 * batch).
 */
export class BufferRecycler {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private retainedBytes = 0;
  /** Buffers handed out from a free list / freshly allocated (for tests and metrics). */
  readonly counts = { reused: 0, allocated: 0 };

  constructor(
    /** Most buffers kept per byte length. */
    private readonly perSize = 4,
    /** Most bytes kept over all lengths; beyond it returned buffers are dropped. */
    private readonly maxRetainedBytes = 64 * 1024 * 1024,
  ) {}

  /** A buffer of exactly `bytes` bytes, reused when one is free (its contents are stale: overwrite them all). */
  take(bytes: number): ArrayBuffer {
    const list = this.free.get(bytes);
    const buf = list?.pop();
    if (buf !== undefined) {
      this.retainedBytes -= bytes;
      this.counts.reused++;
      return buf;
    }
    this.counts.allocated++;
    return new ArrayBuffer(bytes);
  }

  /** Hands buffers back for reuse (detached or oversupplied ones are dropped). */
  give(buffers: readonly ArrayBuffer[]): void {
    for (const buf of buffers) {
      const bytes = buf.byteLength;
      if (bytes === 0 || this.retainedBytes + bytes > this.maxRetainedBytes) continue;
      let list = this.free.get(bytes);
      if (list === undefined) this.free.set(bytes, (list = []));
      if (list.length >= this.perSize) continue;
      list.push(buf);
      this.retainedBytes += bytes;
    }
  }
}
