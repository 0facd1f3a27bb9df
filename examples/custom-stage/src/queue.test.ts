import { describe, expect, it } from "vitest";
import { CostModel, DeadlineQueue, type Entry } from "./queue.js";

const entry = (item: string, deadlineMs: number, costMs = 10, arrivalMs = 0): Entry<string> => ({ item, deadlineMs, costMs, arrivalMs });

describe("DeadlineQueue", () => {
  it("serves earliest deadline first and bounds its size", () => {
    const q = new DeadlineQueue<string>(3);
    expect(q.offer(entry("c", 300), 0, 0)).toBe("queued");
    expect(q.offer(entry("a", 100), 0, 0)).toBe("queued");
    expect(q.offer(entry("b", 200), 0, 0)).toBe("queued");
    expect(q.offer(entry("d", 400), 0, 0)).toBe("full");
    expect(q.take(2, 0).batch.map((e) => e.item)).toEqual(["a", "b"]);
    expect(q.size).toBe(1);
  });

  it("refuses at once what cannot finish after the work due before it", () => {
    const q = new DeadlineQueue<string>(10);
    expect(q.offer(entry("late", -1), 0, 0)).toBe("unmeetable");
    expect(q.offer(entry("a", 30, 20), 0, 0)).toBe("queued");
    // Starts after the batch in progress (until 5) and "a" (20): 5 + 20 + 10 = 35 > 30.
    expect(q.offer(entry("b", 30, 10), 0, 5)).toBe("unmeetable");
    // A later-deadline request queued earlier does not count against an earlier deadline.
    expect(q.offer(entry("c", 1000, 500), 0, 0)).toBe("queued");
    expect(q.offer(entry("d", 35, 10), 0, 0)).toBe("queued");
  });

  it("expires at dispatch what waited too long", () => {
    const q = new DeadlineQueue<string>(10);
    q.offer(entry("a", 50), 0, 0);
    q.offer(entry("b", 500), 0, 0);
    const { batch, expired } = q.take(8, 45);
    expect(expired.map((e) => e.item)).toEqual(["a"]);
    expect(batch.map((e) => e.item)).toEqual(["b"]);
  });
});

describe("CostModel", () => {
  it("moves its per-byte rate toward what it measures", () => {
    const m = new CostModel({ msPerByte: 0.001, fixedMs: 0.1 }, 0.5);
    expect(m.predict(1000)).toBeCloseTo(1.1, 9);
    m.observe(1000, 3.1); // 0.003 ms/byte measured
    expect(m.predict(1000)).toBeCloseTo(0.1 + 2, 9);
    m.observe(0, 5);
    expect(m.predict(1000)).toBeCloseTo(2.1, 9);
  });
});
