import { describe, expect, it } from "vitest";
import { ExperimentConfigError } from "../errors.js";
import { checkDirections, parseDirections } from "./directions.js";
import type { ExperimentSummary, PolicySummary } from "./summary.js";

const policy = (o: Partial<PolicySummary>): PolicySummary =>
  ({ attainment: 1, violations: 0, meanCores: 1, meanAccuracy: 50, p99LatencyMs: 1, coldStarts: 0, requests: 100, meanDecidedCores: 1, coreSecondsPer1000Requests: 0, late: 0, dropped: 0, rejected: 0, unavailable: 0, servedAccuracy: 50, inPlaceSwitches: 0, decisions: 1, fallbacks: 0, ...o });

const summary = (policies: Record<string, PolicySummary>, paper: unknown, patterns?: Record<string, Record<string, PolicySummary>>): ExperimentSummary => ({
  experiment: "x", title: "x", mode: "sim", profiles: "paper", seed: 1, sloMs: 1000, durationS: {}, policies, paper,
  ...(patterns ? { patterns: Object.fromEntries(Object.entries(patterns).map(([k, v]) => [k, { policies: v }])) } : {}),
});

describe("checkDirections", () => {
  it("compares cores as the papers count them (decided), and reports the allocated cores beside", () => {
    // a decides 10 cores but holds 12 while switching; b holds exactly its 11.
    const s = summary({ a: policy({ meanDecidedCores: 10, meanCores: 12 }), b: policy({ meanDecidedCores: 11, meanCores: 11 }) }, {
      directions: [{ name: "a cheaper", policy: "a", comparator: "b", metric: "cores", relation: "less" }],
    });
    const [c] = checkDirections(s);
    expect(c).toEqual({ name: "a cheaper", pattern: null, policy: "a", comparator: "b", metric: "cores", ours: { value: 10, comparatorValue: 11, holds: true }, oursAllocated: { value: 12, comparatorValue: 11, holds: false } });
  });

  it("expands a comparator ending in * to every matching policy, and checks each pattern against the paper's own figures", () => {
    const pat = (acc: number) => ({ ipa: policy({ meanAccuracy: acc }), "fa2-low": policy({ meanAccuracy: 31.9 }), "fa2-high": policy({ meanAccuracy: 44 }), rim: policy({}) });
    const paper = {
      patterns: { bursty: { ipa: { meanAccuracy: 34 }, "fa2-low": { meanAccuracy: 31.9 } }, steady: { ipa: { meanAccuracy: 31.9 }, "fa2-low": { meanAccuracy: 31.9 } } },
      directions: [{ name: "more accurate", policy: "ipa", comparator: "fa2-*", metric: "accuracy", relation: "greater" }],
    };
    const checks = checkDirections(summary({}, paper, { bursty: pat(39), steady: pat(31.9) }));
    expect(checks.map((c) => [c.pattern, c.comparator, c.ours.holds, c.paper?.holds])).toEqual([
      ["bursty", "fa2-low", true, true],
      ["bursty", "fa2-high", false, undefined],
      ["steady", "fa2-low", false, false],
      ["steady", "fa2-high", false, undefined],
    ]);
  });

  it("fewerByFactor needs the comparator at least factor times the policy, and above it; atMost allows the factor", () => {
    const dirs = [
      { name: "10x", policy: "s", comparator: "f", metric: "violations", relation: "fewerByFactor", factor: 10 },
      { name: "10 %", policy: "s", comparator: "f", metric: "cores", relation: "atMost", factor: 1.1 },
    ];
    const run = (sv: number, fv: number, sc: number, fc: number) => checkDirections(summary({ s: policy({ violations: sv, meanDecidedCores: sc }), f: policy({ violations: fv, meanDecidedCores: fc }) }, { directions: dirs })).map((c) => c.ours.holds);
    expect(run(10, 100, 1.1, 1)).toEqual([true, true]);
    expect(run(10, 99, 1.11, 1)).toEqual([false, false]);
    expect(run(0, 0, 1, 1)).toEqual([false, true]);
    expect(run(0, 3, 1, 1)).toEqual([true, true]);
  });

  it("checks a direction of scope mean once, on the means over the patterns", () => {
    const pat = (v: number) => ({ s: policy({ violations: v }), f: policy({ violations: 5 * v }) });
    const s = summary({ s: policy({ violations: 1 }), f: policy({ violations: 12 }) }, { directions: [{ name: "10x", policy: "s", comparator: "f", metric: "violations", relation: "fewerByFactor", factor: 10, scope: "mean" }] }, { a: pat(0), b: pat(2) });
    expect(checkDirections(s)).toEqual([{ name: "10x", pattern: null, policy: "s", comparator: "f", metric: "violations", ours: { value: 1, comparatorValue: 12, holds: true } }]);
  });

  it("skips what the summary lacks, and has nothing to check without directions", () => {
    expect(checkDirections(summary({ a: policy({}) }, { directions: [{ name: "n", policy: "a", comparator: "missing", metric: "violations", relation: "less" }] }))).toEqual([]);
    expect(checkDirections(summary({ a: policy({}) }, null))).toEqual([]);
  });

  it("names every bad key of the directions", () => {
    const bad = { directions: [{ name: "n", policy: "a", comparator: "b", metric: "latency", relation: "less" }, { policy: "a" }, { name: "n", policy: "a", comparator: "b", metric: "cores", relation: "atMost" }] };
    let err: unknown;
    try {
      parseDirections(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExperimentConfigError);
    const keys = (err as ExperimentConfigError).issues.map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining(["directions[0].metric", "directions[1].name", "directions[1].comparator", "directions[2]"]));
  });
});
