import { describe, expect, it } from "vitest";
import { sliceTraceWindow, TWITTER_TRAIN_SECONDS, TWITTER_WINDOWS } from "./trace-windows.js";

describe("Twitter trace windows", () => {
  it("all lie after the forecasters' training days, so no forecaster is judged on what it trained on", () => {
    for (const [name, w] of Object.entries(TWITTER_WINDOWS)) {
      for (const [start] of w.segments) expect(start, name).toBeGreaterThanOrEqual(TWITTER_TRAIN_SECONDS);
    }
  });

  it("damp by truncating division, segment by segment", () => {
    expect(sliceTraceWindow([0, 7, 8, 15, 16, 23], { segments: [[1, 4], [4, 6]], damping: 8 })).toEqual([0, 1, 1, 2, 2]);
  });
});
