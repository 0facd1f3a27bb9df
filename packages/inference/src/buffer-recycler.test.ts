import { describe, expect, it } from "vitest";
import { BufferRecycler } from "./buffer-recycler.js";

describe("BufferRecycler", () => {
  it("hands back a returned buffer of the same length, allocates for another length", () => {
    const r = new BufferRecycler();
    const a = r.take(64);
    r.give([a]);
    expect(r.take(64)).toBe(a);
    expect(r.take(32).byteLength).toBe(32);
    expect(r.counts).toEqual({ reused: 1, allocated: 2 });
  });

  it("keeps at most perSize buffers per length and maxRetainedBytes overall; drops detached ones", () => {
    const r = new BufferRecycler(2, 200);
    const bufs = [r.take(50), r.take(50), r.take(50)];
    r.give(bufs);
    expect([r.take(50), r.take(50)]).toEqual([bufs[1], bufs[0]]);
    const big = new ArrayBuffer(100);
    r.give([big, new ArrayBuffer(80), new ArrayBuffer(40)]);
    // 100 + 80 fit under 200 bytes; the 40 would exceed it and is dropped.
    const allocated = r.counts.allocated;
    r.take(40);
    expect(r.counts.allocated).toBe(allocated + 1);
    expect(r.take(100)).toBe(big);
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    r.give([detached]);
    expect(r.counts.reused).toBe(3);
  });
});
