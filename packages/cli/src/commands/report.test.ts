import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExperimentSummary, ExperimentTimeseries, PolicySummary } from "@fulcrum/sim";
import { afterEach, describe, expect, it } from "vitest";
import { experimentCharts, loadChartAssets, readExperiments, renderReport, ReportInputError, writeReport } from "./report.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "cli-report-"));
  dirs.push(d);
  return d;
};

const policy = (over: Partial<PolicySummary>): PolicySummary => ({
  attainment: 0.99, violations: 10, meanCores: 4, meanAccuracy: 40, p99LatencyMs: 500, coldStarts: 2, requests: 1000, meanDecidedCores: 4,
  coreSecondsPer1000Requests: 100, late: 5, dropped: 5, rejected: 0, unavailable: 0, servedAccuracy: 40, inPlaceSwitches: 0, decisions: 10, fallbacks: 0, ...over,
});
const series = (n: number, f: (t: number) => number): number[] => Array.from({ length: n }, (_, t) => f(t));
const run = (pattern: string, p: string, n: number): ExperimentTimeseries["runs"][number] => ({
  pattern, policy: p, decisions: [],
  series: { arrivals: series(n, (t) => 10 + (t % 7)), forecastRps: series(n, () => 12), cores: series(n, () => 4), accuracyPct: series(n, () => 40), inTime: series(n, () => 10), violations: series(n, (t) => t % 3) },
});

function experiment(dir: string, id: string, patterns: string[], n: number): void {
  mkdirSync(dir, { recursive: true });
  const summary: ExperimentSummary = {
    experiment: id, title: `${id} <title>`, mode: "sim", profiles: "paper", seed: 3, sloMs: 1000, durationS: Object.fromEntries(patterns.map((p) => [p, n])),
    policies: { ipa: policy({}), rim: policy({ meanCores: 6 }) },
    ...(patterns.length > 1 ? { patterns: Object.fromEntries(patterns.map((p) => [p, { policies: { ipa: policy({ meanCores: 4.5, meanDecidedCores: 3.5 }), rim: policy({}) } }])) } : {}),
    paper: {
      patterns: { [patterns[0]!]: { ipa: { meanCores: 5.45, meanAccuracy: 34 }, rim: { meanCores: 12, meanAccuracy: 40.8 } } },
      claims: [{ claim: "IPA is <better>", source: "abstract" }],
      directions: [{ name: "IPA <cheaper> than RIM", policy: "ipa", comparator: "rim", metric: "cores", relation: "less" }],
    },
  };
  const timeseries: ExperimentTimeseries = { experiment: id, profiles: "paper", seed: 3, runs: patterns.flatMap((p) => [run(p, "ipa", n), run(p, "rim", n)]) };
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
  writeFileSync(join(dir, "timeseries.json"), JSON.stringify(timeseries));
}

describe("fulcrum report", () => {
  it("reads one experiment folder, or every sub-folder with a summary", () => {
    const root = tmp();
    experiment(join(root, "b"), "e2", ["bursty", "steady"], 30);
    experiment(join(root, "a"), "e1", ["w"], 20);
    expect(readExperiments(root).map((e) => e.summary.experiment)).toEqual(["e1", "e2"]);
    expect(readExperiments(join(root, "b")).map((e) => e.dir)).toEqual(["."]);
  });

  it("names what is wrong with a folder", () => {
    const root = tmp();
    expect(() => readExperiments(join(root, "none"))).toThrow(/none: no such folder/);
    expect(() => readExperiments(root)).toThrow(ReportInputError);
    writeFileSync(join(root, "summary.json"), "{");
    expect(() => readExperiments(root)).toThrow(/summary\.json is not valid JSON/);
    writeFileSync(join(root, "summary.json"), "{}");
    expect(() => readExperiments(root)).toThrow(/is not an experiment summary/);
    writeFileSync(join(root, "summary.json"), JSON.stringify({ experiment: "e", policies: {}, paper: { directions: [{ name: "n", policy: "a", comparator: "b", metric: "latency", relation: "less" }] } }));
    expect(() => readExperiments(root)).toThrow(/summary\.json: invalid experiment paper-results directions \(1 problem\):\n {2}- directions\[0\]\.metric/);
  });

  it("draws four charts per pattern (load and forecasts, cores, accuracy, violations), averaging long runs into bins", () => {
    const root = tmp();
    experiment(root, "e2", ["bursty", "steady"], 3001);
    const [e] = readExperiments(root);
    const charts = experimentCharts(e!, 0);
    expect(charts.map((c) => c.id)).toEqual(["e0-p0-load", "e0-p0-cores", "e0-p0-accuracy", "e0-p0-violations", "e0-p1-load", "e0-p1-cores", "e0-p1-accuracy", "e0-p1-violations"]);
    expect(charts[0]!.series.map((s) => s.label)).toEqual(["arrivals", "λ̂ ipa", "λ̂ rim"]);
    // 3001 s → bins of 3 s: 1001 points, the first the mean of 10, 11, 12.
    expect(charts[0]!.x.length).toBe(1001);
    expect(charts[0]!.series[0]!.values[0]).toBe(11);
    expect(charts[0]!.title).toMatch(/means over 3 s/);
  });

  it("renders a self-contained page: the paper's figures beside ours, the library and data inlined, text escaped", () => {
    const root = tmp();
    experiment(join(root, "e2"), "e2", ["bursty", "steady"], 40);
    const file = writeReport(root);
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain(loadChartAssets().js.slice(0, 200));
    expect(html.match(/class="chart" data-chart=/g)).toHaveLength(8);
    // bursty: IPA's published 5.45 cores and 34.0 PAS next to ours; steady has no paper figure.
    expect(html).toMatch(/<th scope="row">ipa<\/th><td>99\.00<\/td><td>10<\/td><td>4\.50<\/td><td>3\.50<\/td><td class="paper">5\.45<\/td><td>40\.00<\/td><td class="paper">34\.0<\/td>/);
    expect(html).toContain("e2 &lt;title&gt;");
    // Directions: ours on decided cores (3.50 < 4.00), allocated beside (4.50, not), the paper's own where it has both.
    expect(html).toContain("Published directions, checked: 2 of 2 hold on ours.");
    expect(html).toContain('<th scope="row">IPA &lt;cheaper&gt; than RIM</th><td>ipa vs rim</td><td>bursty</td><td>3.50 vs 4.00</td><td class="holds">holds</td><td>4.50 vs 4.00</td><td class="fails">does not hold</td><td>5.45 vs 12.00</td><td class="holds">holds</td></tr>');
    expect(html).toContain('<td>steady</td><td>3.50 vs 4.00</td><td class="holds">holds</td><td>4.50 vs 4.00</td><td class="fails">does not hold</td><td>–</td><td>–</td></tr>');
    expect(html).toContain("IPA is &lt;better&gt;");
    expect(renderReport([], loadChartAssets())).toContain("<h1>Fulcrum experiments</h1>");
  });
});
