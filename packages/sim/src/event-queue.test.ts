import { createRng } from "@fulcrum/core/rng";
import { describe, expect, it } from "vitest";
import { EventQueue, type EventTarget } from "./event-queue.js";

class Recorder implements EventTarget {
  readonly seen: Array<[number, number, number]> = [];
  onEvent(kind: number, arg: number, nowMs: number): void {
    this.seen.push([nowMs, kind, arg]);
  }
}

describe("EventQueue", () => {
  it("pops in time order and keeps scheduling order among equal times", () => {
    const q = new EventQueue();
    const r = new Recorder();
    q.push(5, r, 1, 0);
    q.push(1, r, 2, 0);
    q.push(5, r, 3, 0);
    q.push(1, r, 4, 0);
    q.push(3, r, 5, 7);
    while (q.size > 0) q.popAndRun();
    expect(r.seen).toEqual([[1, 2, 0], [1, 4, 0], [3, 5, 7], [5, 1, 0], [5, 3, 0]]);
    expect(q.popAndRun()).toBe(Infinity);
  });

  it("matches a reference (min by time, then sequence) on random schedules with pushes between pops", () => {
    const rng = createRng(11);
    const q = new EventQueue();
    const r = new Recorder();
    const pending: Array<[number, number]> = [];
    let seq = 0;
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 30; i++) {
        const t = Math.floor(rng.next() * 20) + round * 5;
        q.push(t, r, 0, seq);
        pending.push([t, seq++]);
      }
      const pops = round === 59 ? pending.length : 20;
      for (let i = 0; i < pops; i++) {
        pending.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const [t, s] = pending.shift()!;
        expect(q.popAndRun()).toBe(t);
        expect(r.seen[r.seen.length - 1]).toEqual([t, 0, s]);
      }
    }
    expect(q.size).toBe(0);
  });

  it("refuses a non-finite time", () => {
    const q = new EventQueue();
    expect(() => q.push(Number.NaN, new Recorder(), 0)).toThrow(/non-finite/);
    expect(() => q.push(Infinity, new Recorder(), 0)).toThrow(/non-finite/);
  });
});
