import { InvalidArgumentError } from "../errors/index.js";

/**
 * A growable buffer of numeric samples in a `Float64Array`: 8 bytes a sample (a JS array of
 * boxed or tagged numbers costs more, and lives on the V8 heap), amortised O(1) appends (the
 * capacity doubles when full, so up to twice the samples' size is allocated), exact order
 * statistics on demand.
 */
export class Samples {
  private buf: Float64Array;
  private n = 0;

  /** @param initialCapacity samples allocated up front. @default 1024 */
  constructor(initialCapacity = 1024) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1) throw new InvalidArgumentError("initialCapacity", `must be a positive integer, got ${initialCapacity}`);
    this.buf = new Float64Array(initialCapacity);
  }

  /** Samples held. */
  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = x;
  }

  /** The samples in the order they came: a view of the buffer, valid until the next `push`. */
  view(): Float64Array {
    return this.buf.subarray(0, this.n);
  }

  /** The samples in ascending order: a new array, the buffer is left as it is. */
  sorted(): number[] {
    // A typed array's sort is numeric; the copy keeps later appends and summaries independent.
    return Array.from(this.buf.slice(0, this.n).sort());
  }
}
