import { describe, expect, it } from "vitest";
import { seriesStats, sliceTraceWindow, TWITTER_WINDOWS } from "@fulcrum/core/workload";
import { loadTwitterTrace } from "./twitter-trace.js";

describe("the committed Twitter trace", () => {
  const trace = loadTwitterTrace();

  it("has every second of the published file", () => {
    expect(trace).toHaveLength(1_899_061);
    expect(seriesStats(trace)).toMatchObject({ max: 388 });
    expect(seriesStats(trace).mean).toBeCloseTo(63.6, 1);
  });

  // IPA damps with integer truncation (`int(count / 8)` in its load generator), which puts the means
  // about 0.45 rps below an exact division (bursty: 12.03 vs 12.48).
  it.each([
    ["ipa-bursty", 12.03, 3, 34, 1200],
    ["ipa-steady-low", 5.06, 3, 8, 1200],
    ["ipa-steady-high", 28.84, 23, 34, 1200],
    ["ipa-fluctuating", 16.53, 3, 34, 1200],
    ["infadapter", 96.6, 27, 274, 1260],
  ] as const)("window %s: mean %s rps, %s–%s rps, %s s", (name, mean, min, max, length) => {
    const w = sliceTraceWindow(trace, TWITTER_WINDOWS[name]);
    expect(w).toHaveLength(length);
    expect(seriesStats(w)).toMatchObject({ min, max });
    expect(seriesStats(w).mean).toBeCloseTo(mean, 1);
  });

  it("names a window segment outside the trace", () => {
    expect(() => sliceTraceWindow([1, 2, 3], { segments: [[2, 5]], damping: 1 })).toThrow("segments[0]: [2, 5) is not a non-empty range within the trace's 3 seconds");
  });
});
