import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@fulcrum/core";
import { callDeadlineMs, remainingMs, requestDeadline } from "./deadline.js";

describe("requestDeadline", () => {
  it.each([
    ["client deadline wins", { deadlineUnixMs: 5000, sloMs: 10 }, 5000],
    ["client slo_ms from arrival", { sloMs: 250 }, 1250],
    ["pipeline SLO by default", {}, 1500],
    ["a past client deadline is kept (answered DEADLINE_EXCEEDED later)", { deadlineUnixMs: 10 }, 10],
  ])("%s", (_n, params, expected) => {
    expect(requestDeadline(1000, params, 500)).toBe(expected);
  });

  it.each([
    [{ sloMs: 0 }, "parameters.slo_ms: must be > 0 ms, got 0"],
    [{ sloMs: -5 }, "parameters.slo_ms: must be > 0 ms, got -5"],
    [{ deadlineUnixMs: Number.NaN }, "parameters.deadline_unix_ms: must be a positive Unix time in ms, got NaN"],
  ])("rejects %o naming the parameter", (params, message) => {
    const err = (() => {
      try {
        requestDeadline(1000, params, 500);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(message);
  });

  it("computes the remaining budget and the stage call deadline", () => {
    expect(remainingMs(1500, 1200)).toBe(300);
    expect(remainingMs(1500, 1600)).toBe(-100);
    expect(callDeadlineMs(1500, 1000)).toBe(2500);
  });
});
