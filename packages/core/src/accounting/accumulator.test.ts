import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../rng/index.js";
import { quantile } from "../stats/index.js";
import { RunAccumulator } from "./accumulator.js";
import type { RequestFate } from "./fate.js";
import { formatSummary, summarize, type RunCounts, type RunSummary, type SentRequestRecord } from "./ledger.js";

const FATES: readonly RequestFate[] = ["in-time", "late", "rejected", "failed"];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;

/** `n` records with every fate, several codes and variants, repeated latencies (ties) and answer order ≠ send order. */
function randomRecords(seed: number, n: number): SentRequestRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, seq): SentRequestRecord => {
    const fate = pick(rng, FATES);
    const atMs = seq * 50 + rng.next() * 50;
    const latencyMs = rng.next() < 0.1 ? 5 : -Math.log(1 - rng.next()) * 40;
    const code = fate === "rejected" ? pick(rng, ["UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", undefined]) : fate === "failed" ? pick(rng, ["INTERNAL", "CANCELLED", undefined]) : undefined;
    const variant = fate === "in-time" || fate === "late" ? pick(rng, ["s=a", "s=b", "s=c", undefined]) : undefined;
    return { seq, atMs, sentMs: atMs + rng.next() * 8, sloMs: 100, fate, latencyMs, ...(code ? { code, details: "why" } : {}), ...(variant ? { variant } : {}) };
  }).sort((a, b) => a.sentMs + a.latencyMs - (b.sentMs + b.latencyMs));
}

/** The ledger computed the plain way, from the whole array (the oracle both implementations are held to). */
function reference(records: readonly SentRequestRecord[], counts: RunCounts, durationMs: number): RunSummary {
  const of = (...fates: RequestFate[]): SentRequestRecord[] => records.filter((r) => fates.includes(r.fate));
  const tally = (keys: readonly string[]): Record<string, number> => keys.reduce<Record<string, number>>((t, k) => ({ ...t, [k]: (t[k] ?? 0) + 1 }), {});
  const q = (xs: readonly number[], p: number): number => (xs.length === 0 ? 0 : quantile(xs, p));
  const answered = of("in-time", "late").map((r) => r.latencyMs);
  const rejects = of("rejected").map((r) => r.latencyMs);
  const lags = records.map((r) => r.sentMs - r.atMs);
  const notSent = Object.values(counts.notSent).reduce((a, b) => a + b, 0);
  return {
    planned: counts.planned,
    sent: counts.sent,
    notSent,
    notSentByReason: counts.notSent,
    inTime: of("in-time").length,
    late: of("late").length,
    rejectedWithReason: rejects.length,
    rejectedByCode: tally(of("rejected").map((r) => r.code ?? "UNKNOWN")),
    failed: of("failed").length,
    failedByCode: tally(of("failed").map((r) => r.code ?? "UNKNOWN")),
    unaccountedPlanned: counts.planned - counts.sent - notSent,
    unaccounted: counts.sent - records.length,
    ledgerExact: counts.planned - counts.sent - notSent === 0 && counts.sent === records.length,
    attainment: counts.sent === 0 ? 1 : of("in-time").length / counts.sent,
    latencyP50Ms: q(answered, 0.5),
    latencyP95Ms: q(answered, 0.95),
    latencyP99Ms: q(answered, 0.99),
    rejectP50Ms: q(rejects, 0.5),
    rejectP99Ms: q(rejects, 0.99),
    sendLagP99Ms: q(lags, 0.99),
    sendLagMaxMs: lags.length === 0 ? 0 : Math.max(...lags),
    variants: tally(of("in-time", "late").flatMap((r) => (r.variant ? [r.variant] : []))),
    achievedRps: durationMs > 0 ? (counts.sent * 1000) / durationMs : 0,
    durationMs,
  };
}

describe("RunAccumulator", () => {
  // More records than the sample buffers' initial capacity, so their growth is exercised.
  const records = randomRecords(11, 5000);
  const counts: RunCounts = { planned: 5003, sent: 5000, notSent: { "behind-schedule": 3 } };

  it("streams to the same summary as the whole array gives, and summarize agrees with both", () => {
    const acc = new RunAccumulator();
    for (const r of records) acc.add(r);
    const expected = reference(records, counts, 250_000);
    // The set is not degenerate: every fate and code kind occurs, quantiles are apart.
    expect(expected).toMatchObject({ ledgerExact: true });
    expect(Math.min(expected.inTime, expected.late, expected.rejectedWithReason, expected.failed)).toBeGreaterThan(1000);
    expect(Object.keys(expected.rejectedByCode).sort()).toEqual(["DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "UNKNOWN"]);
    expect(Object.keys(expected.failedByCode).sort()).toEqual(["CANCELLED", "INTERNAL", "UNKNOWN"]);
    expect(expected.latencyP50Ms).toBeLessThan(expected.latencyP95Ms);
    expect(expected.latencyP95Ms).toBeLessThan(expected.latencyP99Ms);

    const streamed = acc.summary(counts, 250_000);
    expect(streamed).toEqual(expected);
    expect(summarize(records, counts, 250_000)).toEqual(expected);
    // Same values to the last bit and the same key order (the final line lists codes as they came).
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(expected));
    expect(formatSummary(streamed)).toBe(formatSummary(expected));
  });

  it("can be summarised mid-run without disturbing what follows", () => {
    const acc = new RunAccumulator();
    const half = records.slice(0, 2500);
    for (const r of half) acc.add(r);
    const midCounts: RunCounts = { planned: 2600, sent: 2600, notSent: {} };
    const mid = acc.summary(midCounts, 125_000);
    expect(mid).toEqual(reference(half, midCounts, 125_000));
    expect(mid).toMatchObject({ unaccounted: 100, ledgerExact: false });
    for (const r of records.slice(2500)) acc.add(r);
    expect(acc.summary(counts, 250_000)).toEqual(reference(records, counts, 250_000));
  });

  it("summarises nothing as an exact, empty ledger", () => {
    expect(new RunAccumulator().summary({ planned: 0, sent: 0, notSent: {} }, 0)).toEqual(reference([], { planned: 0, sent: 0, notSent: {} }, 0));
  });
});
