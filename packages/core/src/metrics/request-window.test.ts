import { describe, expect, it } from "vitest";
import { answeredFate } from "../accounting/index.js";
import { pipelineAccuracy } from "./accuracy.js";
import { RequestWindow } from "./request-window.js";

describe("RequestWindow", () => {
  it("counts arrivals and fates exactly and summarises latencies and budgets", () => {
    const w = new RequestWindow("p", 1000);
    for (let i = 1; i <= 10; i++) w.arrive(i * 10);
    for (let i = 1; i <= 6; i++) w.finish({ fate: "in-time", latencyMs: i, accuracy: 0.8 });
    w.finish({ fate: "late", latencyMs: 100, accuracy: 0.5 });
    w.finish({ fate: "rejected", latencyMs: 1 });
    w.finish({ fate: "failed", latencyMs: 1 });
    const s = w.take(2000);
    expect(s).toMatchObject({ pipeline: "p", windowStartMs: 1000, windowMs: 1000, arrivals: 10, answeredInTime: 6, late: 1, rejected: 1, failed: 1 });
    expect(s.latencyP50Ms).toBe(4);
    expect(s.budgetP10Ms).toBeCloseTo(19, 6);
    expect(s.budgetP50Ms).toBe(55);
    expect(s.meanAccuracy).toBeCloseTo((6 * 0.8 + 0.5) / 7, 9);
    const next = w.take(2500);
    expect(next).toMatchObject({ windowStartMs: 2000, windowMs: 500, arrivals: 0, answeredInTime: 0, latencyP99Ms: 0, meanAccuracy: 0 });
  });

  it("bounds kept samples but never the counters", () => {
    const w = new RequestWindow("p", 0, 5);
    for (let i = 0; i < 50; i++) w.arrive(1);
    expect(w.take(1).arrivals).toBe(50);
  });
});

describe("answeredFate and pipelineAccuracy", () => {
  it("is in time up to and including the deadline", () => {
    expect(answeredFate(100, 100)).toBe("in-time");
    expect(answeredFate(100.01, 100)).toBe("late");
  });
  it("multiplies the variants' accuracies and is unknown when one is missing", () => {
    expect(pipelineAccuracy(["a", "b"], { a: 0.9, b: 0.5 })).toBeCloseTo(0.45, 12);
    expect(pipelineAccuracy(["a", "c"], { a: 0.9 })).toBeUndefined();
    expect(pipelineAccuracy([], {})).toBeUndefined();
  });
});
