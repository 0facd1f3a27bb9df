import { describe, expect, it } from "vitest";
import { StageWindowStats } from "./stage-window.js";

describe("StageWindowStats", () => {
  it("counts a window and resets on take", () => {
    const w = new StageWindowStats(1000);
    for (let i = 1; i <= 100; i++) {
      w.arrival();
      w.completion(i, i > 95);
    }
    w.batch(4);
    w.batch(2);
    w.earlyDrop();
    w.rejection();
    w.failure();
    const s = w.take(2000);
    expect(s).toMatchObject({ windowStartMs: 1000, windowMs: 1000, arrivals: 100, completions: 100, violations: 6, earlyDrops: 1, rejected: 1, failures: 1, meanBatch: 3, batches: 2 });
    expect(s.latencyP50Ms).toBeCloseTo(50.5, 6);
    expect(s.latencyP99Ms).toBeCloseTo(99.01, 6);
    expect(w.take(3000)).toMatchObject({ windowStartMs: 2000, arrivals: 0, completions: 0, latencyP50Ms: 0, meanBatch: 0 });
  });
});
