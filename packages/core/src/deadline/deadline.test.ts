import { describe, expect, it } from "vitest";
import { callDeadlineMs, remainingMs, requestDeadline } from "./deadline.js";

describe("requestDeadline", () => {
  it.each([
    ["client deadline wins", { deadlineUnixMs: 5000, sloMs: 10 }, undefined, 5000],
    ["client slo_ms from arrival", { sloMs: 250 }, undefined, 1250],
    ["default SLO when the client states none", {}, undefined, 1500],
    ["a past client deadline is kept (answered DEADLINE_EXCEEDED later)", { deadlineUnixMs: 10 }, undefined, 10],
    ["an earlier transport deadline wins", { sloMs: 250 }, 1100, 1100],
    ["a later transport deadline changes nothing", { sloMs: 250 }, 9000, 1250],
    ["no transport deadline (Infinity)", {}, Number.POSITIVE_INFINITY, 1500],
  ])("%s", (_n, params, transport, expected) => {
    expect(requestDeadline(1000, params, 500, transport)).toBe(expected);
  });

  it("computes the remaining budget and the stage call deadline", () => {
    expect(remainingMs(1500, 1200)).toBe(300);
    expect(remainingMs(1500, 1600)).toBe(-100);
    expect(callDeadlineMs(1500, 1000)).toBe(2500);
  });
});
