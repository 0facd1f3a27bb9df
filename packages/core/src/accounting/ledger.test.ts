import { describe, expect, it } from "vitest";
import { classify, formatSummary, summarize, type SentRequestRecord } from "./ledger.js";

const rec = (over: Partial<SentRequestRecord>): SentRequestRecord => ({ seq: 0, atMs: 0, sentMs: 0, sloMs: 100, fate: "in-time", latencyMs: 10, ...over });

describe("classify", () => {
  it.each([
    [{ ok: true as const }, 100, "in-time"],
    [{ ok: true as const }, 100.5, "late"],
    [{ ok: false as const, code: "DEADLINE_EXCEEDED" }, 5, "rejected"],
    [{ ok: false as const, code: "UNAVAILABLE" }, 5, "rejected"],
    [{ ok: false as const, code: "RESOURCE_EXHAUSTED" }, 5, "rejected"],
    [{ ok: false as const, code: "INTERNAL" }, 5, "failed"],
    [{ ok: false as const, code: "CANCELLED" }, 5, "failed"],
  ])("%j after %d ms with a 100 ms SLO → %s", (answer, latency, fate) => {
    expect(classify(answer, latency, 100)).toBe(fate);
  });
});

describe("summarize", () => {
  it("accounts for every sent request: sent = in-time + late + rejected-with-reason", () => {
    const records = [
      rec({ seq: 0, fate: "in-time", latencyMs: 10, variant: "s=a" }),
      rec({ seq: 1, fate: "in-time", latencyMs: 20, variant: "s=b" }),
      rec({ seq: 2, fate: "late", latencyMs: 150, variant: "s=a" }),
      rec({ seq: 3, fate: "rejected", code: "UNAVAILABLE" }),
      rec({ seq: 4, fate: "rejected", code: "DEADLINE_EXCEEDED" }),
      rec({ seq: 5, fate: "failed", code: "INTERNAL" }),
    ];
    const s = summarize(records, 8, 2000);
    expect(s).toMatchObject({ sent: 6, inTime: 2, late: 1, rejectedWithReason: 3, rejected: 2, failed: 1, notSent: 2, unaccounted: 0, achievedRps: 3 });
    expect(s.byCode).toEqual({ UNAVAILABLE: 1, DEADLINE_EXCEEDED: 1, INTERNAL: 1 });
    expect(s.variants).toEqual({ "s=a": 2, "s=b": 1 });
    expect(s.attainment).toBeCloseTo(2 / 6, 12);
    expect(s.latencyP50Ms).toBe(20);
    expect(formatSummary(s)).toMatch(/^sent 6 = in-time 2 \+ late 1 \+ rejected-with-reason 3 \(UNAVAILABLE=1 DEADLINE_EXCEEDED=1 INTERNAL=1\) \| attainment 33\.3%/);
  });

  it("summarises an empty run", () => {
    expect(summarize([], 0, 0)).toMatchObject({ sent: 0, unaccounted: 0, attainment: 1, latencyP99Ms: 0, achievedRps: 0 });
  });
});
