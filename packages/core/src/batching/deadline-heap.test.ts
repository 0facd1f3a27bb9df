import { describe, expect, it } from "vitest";
import { createRng } from "../rng/index.js";
import { DeadlineHeap } from "./deadline-heap.js";

describe("DeadlineHeap", () => {
  it("pops in (deadline, seq) order for random input, including ties and Infinity", () => {
    const rng = createRng(11);
    const heap = new DeadlineHeap<{ deadlineMs: number; seq: number }>();
    const items = Array.from({ length: 2000 }, (_, seq) => ({
      deadlineMs: rng.next() < 0.05 ? Infinity : Math.floor(rng.next() * 50),
      seq,
    }));
    for (const it of items) heap.push(it);
    expect(heap.size).toBe(2000);
    const popped: number[] = [];
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) popped.push(x.seq);
    const expected = [...items]
      .sort((a, b) => (a.deadlineMs === b.deadlineMs ? a.seq - b.seq : a.deadlineMs < b.deadlineMs ? -1 : 1))
      .map((x) => x.seq);
    expect(popped).toEqual(expected);
    expect(heap.peek()).toBeUndefined();
  });

  it("interleaves push and pop correctly", () => {
    const heap = new DeadlineHeap<{ deadlineMs: number; seq: number }>();
    heap.push({ deadlineMs: 5, seq: 0 });
    heap.push({ deadlineMs: 3, seq: 1 });
    expect(heap.pop()?.seq).toBe(1);
    heap.push({ deadlineMs: 1, seq: 2 });
    heap.push({ deadlineMs: 5, seq: 3 });
    expect([heap.pop()?.seq, heap.pop()?.seq, heap.pop()?.seq, heap.pop()]).toEqual([2, 0, 3, undefined]);
  });
});
