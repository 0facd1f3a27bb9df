import { describe, expect, it } from "vitest";
import { fateOfTransportClose, transitToleranceMs } from "./fate.js";
import { classify, formatSummary, summarize, type SentRequestRecord } from "./ledger.js";

const rec = (over: Partial<SentRequestRecord>): SentRequestRecord => ({ seq: 0, atMs: 0, sentMs: 0, sloMs: 100, fate: "in-time", latencyMs: 10, ...over });

describe("classify", () => {
  it.each([
    [{ ok: true as const }, 100, "in-time"],
    [{ ok: true as const }, 100.5, "late"],
    [{ ok: false as const, code: "DEADLINE_EXCEEDED", stated: true }, 5, "rejected"],
    [{ ok: false as const, code: "UNAVAILABLE", stated: true }, 5, "rejected"],
    [{ ok: false as const, code: "RESOURCE_EXHAUSTED", stated: true }, 5, "rejected"],
    [{ ok: false as const, code: "INTERNAL", stated: true }, 5, "failed"],
    [{ ok: false as const, code: "CANCELLED", stated: false }, 5, "failed"],
    [{ ok: false as const, code: "UNKNOWN", stated: false }, 5, "failed"],
    // The client's own deadline passing is a reason; a status the client's library made up is not.
    [{ ok: false as const, code: "DEADLINE_EXCEEDED", stated: false }, 2200, "rejected"],
    [{ ok: false as const, code: "UNAVAILABLE", stated: false }, 5, "failed"],
    [{ ok: false as const, code: "RESOURCE_EXHAUSTED", stated: false }, 5, "failed"],
    [{ ok: false as const, code: "INTERNAL", stated: false }, 5, "failed"],
  ])("%j after %d ms with a 100 ms SLO → %s", (answer, latency, fate) => {
    expect(classify(answer, latency, 100)).toBe(fate);
  });
});

describe("fateOfTransportClose", () => {
  it.each([
    ["closed after the client's deadline: its library said DEADLINE_EXCEEDED", 1000, 900, "rejected", "DEADLINE_EXCEEDED"],
    ["closed within the transit tolerance before it", 895, 900, "rejected", "DEADLINE_EXCEEDED"],
    ["closed well before it: cancelled or reset", 500, 900, "failed", "CANCELLED"],
    ["no client deadline at all", 5000, undefined, "failed", "CANCELLED"],
  ])("%s", (_n, closed, deadline, fate, code) => {
    expect(fateOfTransportClose(closed, deadline, 10)).toEqual({ fate, code });
  });
});

describe("transitToleranceMs", () => {
  it("is a share of the client's budget, never below the floor", () => {
    // A 2 s budget: a client timer firing up to 200 ms before the server's copy is its deadline.
    expect(transitToleranceMs(1000, 3000)).toBe(200);
    expect(fateOfTransportClose(2850, 3000, transitToleranceMs(1000, 3000)).fate).toBe("rejected");
    expect(fateOfTransportClose(2700, 3000, transitToleranceMs(1000, 3000)).fate).toBe("failed");
    expect(transitToleranceMs(1000, 1300)).toBe(50);
    expect(transitToleranceMs(1000, undefined)).toBe(50);
    expect(transitToleranceMs(0, 1000, 20, 0.5)).toBe(500);
  });
});

describe("summarize", () => {
  const records = [
    rec({ seq: 0, fate: "in-time", latencyMs: 10, variant: "s=a", atMs: 0, sentMs: 1 }),
    rec({ seq: 1, fate: "in-time", latencyMs: 20, variant: "s=b", atMs: 10, sentMs: 10.5 }),
    rec({ seq: 2, fate: "late", latencyMs: 150, variant: "s=a", atMs: 20, sentMs: 24 }),
    rec({ seq: 3, fate: "rejected", code: "UNAVAILABLE", latencyMs: 2 }),
    rec({ seq: 4, fate: "rejected", code: "RESOURCE_EXHAUSTED", latencyMs: 4 }),
    rec({ seq: 5, fate: "failed", code: "INTERNAL", latencyMs: 30 }),
  ];

  it("keeps failures out of the reasons: sent = in-time + late + rejected-with-reason + failed, planned = sent + not-sent", () => {
    const s = summarize(records, { planned: 9, sent: 6, notSent: { "in-flight-bound": 2, stopped: 1 } }, 2000);
    expect(s).toMatchObject({ planned: 9, sent: 6, notSent: 3, inTime: 2, late: 1, rejectedWithReason: 2, failed: 1, unaccounted: 0, unaccountedPlanned: 0, ledgerExact: true, achievedRps: 3 });
    expect(s.rejectedByCode).toEqual({ UNAVAILABLE: 1, RESOURCE_EXHAUSTED: 1 });
    expect(s.failedByCode).toEqual({ INTERNAL: 1 });
    expect(s.notSentByReason).toEqual({ "in-flight-bound": 2, stopped: 1 });
    expect(s.variants).toEqual({ "s=a": 2, "s=b": 1 });
    expect(s.attainment).toBeCloseTo(2 / 6, 12);
    expect(s.latencyP50Ms).toBe(20);
    expect(s.rejectP99Ms).toBeCloseTo(3.98, 9);
    expect(s.sendLagMaxMs).toBe(4);
    expect(formatSummary(s)).toBe(
      "planned 9 = sent 6 + not-sent 3 (in-flight-bound=2 stopped=1) | sent 6 = in-time 2 + late 1 + rejected-with-reason 2 (UNAVAILABLE=1 RESOURCE_EXHAUSTED=1) + failed 1 (INTERNAL=1) | " +
        "attainment 33.3% | p50 20.0 ms p95 137.0 ms p99 147.4 ms | reject p99 4.0 ms | 3.0 rps sent, send lag p99 3.9 ms",
    );
  });

  it("checks both equations against what the sender counted, and names the one that breaks", () => {
    const lostAnswer = summarize(records, { planned: 7, sent: 7, notSent: {} }, 1000);
    expect(lostAnswer).toMatchObject({ unaccounted: 1, unaccountedPlanned: 0, ledgerExact: false });
    expect(formatSummary(lostAnswer)).toContain("LEDGER MISMATCH: sent − fates = 1");
    const lostPlan = summarize(records, { planned: 8, sent: 6, notSent: {} }, 1000);
    expect(lostPlan).toMatchObject({ unaccounted: 0, unaccountedPlanned: 2, ledgerExact: false });
    expect(formatSummary(lostPlan)).toContain("LEDGER MISMATCH: planned − sent − not-sent = 2");
  });

  it("summarises an empty run", () => {
    expect(summarize([], { planned: 0, sent: 0, notSent: {} }, 0)).toMatchObject({ sent: 0, unaccounted: 0, ledgerExact: true, attainment: 1, latencyP99Ms: 0, rejectP99Ms: 0, sendLagMaxMs: 0, achievedRps: 0 });
  });
});
