import { describe, expect, it } from "vitest";
import { smallData, smallExperiment } from "../testing/experiment-fixture.js";
import { planRuns, SIM_SOLVE_TIME_LIMIT_MS } from "./build.js";
import { parseExperiment } from "./schema.js";

describe("planRuns", () => {
  const spec = parseExperiment(smallExperiment({ policies: [
    { name: "ipa", policy: "ipa", baseAllocation: { thresholdRps: 4 } },
    { name: "fulcrum", policy: "fulcrum", actuation: { mode: "in-place" }, control: { intervalMs: 5000, forecast: { value: "upper" } } },
  ] }), "t");

  it("makes one run per pattern and policy, all runs of a pattern on the same seed and arrivals", () => {
    const runs = planRuns(spec, smallData(), { seed: 7 });
    expect(runs.map((r) => `${r.pattern}/${r.policy}`)).toEqual(["flat/ipa", "flat/fulcrum", "ramp/ipa", "ramp/fulcrum"]);
    expect(new Set(runs.map((r) => r.scenario.seed))).toEqual(new Set([7]));
    const [a, b] = runs;
    expect(a!.scenario.workload).toEqual(b!.scenario.workload);
    expect(runs[2]!.scenario.workload).toMatchObject({ kind: "trace", countsPerSecond: smallData().twitter.slice(120, 240) });
  });

  it("applies per-policy overrides and IPA's base allocation, and keeps solves from binding on wall time", () => {
    const [ipa, fulcrum] = planRuns(spec, smallData());
    expect(ipa!.scenario.actuation.mode).toBe("rolling");
    expect(fulcrum!.scenario.actuation.mode).toBe("in-place");
    expect(fulcrum!.scenario.control.intervalMs).toBe(5000);
    expect(fulcrum!.scenario.control.forecast.value).toBe("upper");
    expect(ipa!.scenario.control.forecast.value).toBe("point");
    expect(ipa!.scenario.stages.every((s) => s.variants.every((v) => v.baseCoresPerReplica !== undefined))).toBe(true);
    expect(fulcrum!.scenario.stages.every((s) => s.variants.every((v) => v.baseCoresPerReplica === undefined))).toBe(true);
    expect(fulcrum!.scenario.policy.config).toMatchObject({ solveTimeLimitMs: SIM_SOLVE_TIME_LIMIT_MS });
    expect(ipa!.scenario.initial).toEqual({ decideAtRps: 8 });
  });

  it("tells the fulcrum policy the simulated system's actuation times unless its config sets them", () => {
    const [ipa, fulcrum] = planRuns(spec, smallData());
    const a = fulcrum!.scenario.actuation;
    expect(fulcrum!.scenario.policy.config).toMatchObject({ replicaStartMs: a.replicaStartMs + a.warmupMs, inPlaceChangeMs: a.inPlaceChangeMs });
    expect(a.replicaStartMs).toBe(2000);
    expect(ipa!.scenario.policy.config).not.toHaveProperty("replicaStartMs");
    const own = parseExperiment(smallExperiment({ policies: [{ name: "f", policy: "fulcrum", config: { replicaStartMs: 123 } }] }), "t");
    expect(planRuns(own, smallData())[0]!.scenario.policy.config).toMatchObject({ replicaStartMs: 123, inPlaceChangeMs: 50 });
  });

  it("takes accuracies and load times from the profile sources", () => {
    const [run] = planRuns(spec, smallData());
    const [detector, classifier] = run!.scenario.stages;
    expect(detector!.variants.map((v) => v.accuracy)).toEqual([0.457, 0.568]);
    expect(classifier!.variants.map((v) => [v.accuracy, v.loadTimeMs])).toEqual([[0.69758, 6440], [0.7613, 6820]]);
    // yolov5s is the grid's yolov5n times its latency ratio measured here: slower at every point.
    const p = run!.scenario.planning;
    expect(p.latency("yolov5s", 4, 2).latencyMs).toBeGreaterThan(p.latency("yolov5n", 4, 2).latencyMs);
    expect(p.latency("yolov5n", 1, 1).latencyMs).toBe(45.993);
  });

  it("runs on the measured profile set too, and names what it cannot resolve", () => {
    expect(planRuns(spec, smallData(), { profiles: "measured" })).toHaveLength(4);
    expect(() => planRuns(spec, smallData(), { profiles: "nope" })).toThrow(/no profile set "nope"/);
    expect(() => planRuns(spec, smallData(), { policies: ["ipa", "zzz"] })).toThrow(/policies: unknown zzz/);
    const noFile = { ...smallData(), files: new Map() };
    expect(() => planRuns(spec, noFile)).toThrow(/data\/sponge\/yolov5-grid\.csv was not loaded/);
  });

  it("turns a constant pattern into that many requests every second, and a bandwidth log into Sponge's per-second budgets", () => {
    const base = smallExperiment();
    const withBudgets = parseExperiment({
      ...base,
      workload: { trace: "twitter", patterns: { "static-3": { constant: { rps: 3, durationS: 4 } } }, budgets: { kind: "bandwidth-log", file: "bw.log", payloadBytes: 300_000 } },
    }, "t");
    // 3 MB/s and 0.5 MB/s: 100 ms and 600 ms of upload out of the 2000 ms SLO.
    const log = "1 1000 51.06 3.73 3000000 1000\n2 2000 51.06 3.73 500000 1000\n";
    const data = { ...smallData(), files: new Map([...smallData().files, ["bw.log", log]]) };
    const [run] = planRuns(withBudgets, data);
    expect(run!.pattern).toBe("static-3");
    expect(run!.scenario.workload).toMatchObject({ kind: "trace", countsPerSecond: [3, 3, 3, 3], budgetsMs: [1900, 1400] });
    expect(() => planRuns(withBudgets, smallData())).toThrow(/bw\.log was not loaded/);
    const badLog = { ...smallData(), files: new Map([...smallData().files, ["bw.log", "1 2 3 4 5\n"]]) };
    expect(() => planRuns(withBudgets, badLog)).toThrow(/bw\.log: .*6 columns/);
    expect(() => parseExperiment({ ...base, workload: { trace: "twitter", patterns: { s: { constant: { rps: -1, durationS: 4 } } } } }, "t")).toThrow(/rps/);
  });
});
