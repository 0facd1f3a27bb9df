import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { FulcrumError } from "@fulcrum/core";
import { checkDirections, paperFigure, parseDirections, type DirectionCheck, type DirectionOutcome, type ExperimentSummary, type ExperimentTimeseries, type PolicySummary, type RunTimeseries } from "@fulcrum/sim";
import { Command } from "commander";
import { directionDigits } from "./experiment.js";

/** A folder `fulcrum report` cannot make a report from; `dir` names it. */
export class ReportInputError extends FulcrumError {
  override readonly name = "ReportInputError";
  constructor(
    readonly dir: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super("REPORT_INPUT_INVALID", "invalid-argument", `${dir}: ${message}`, { cause: options.cause });
  }
}

/** One experiment's output folder, read. */
export interface ReportExperiment {
  /** Folder name relative to the report's folder ("." for a single experiment). */
  readonly dir: string;
  readonly summary: ExperimentSummary;
  /** Absent when the folder has no `timeseries.json` (the tables are drawn, the charts are not). */
  readonly timeseries?: ExperimentTimeseries;
}

/** One chart of the report: a time axis (s) and one line per series. */
export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  /** Seconds of the run (bin starts when the series was averaged into bins). */
  readonly x: readonly number[];
  readonly series: ReadonlyArray<{ readonly label: string; readonly values: readonly number[] }>;
}

/** The charting library inlined into every report (uPlot, from npm): the page needs no network. */
export interface ChartAssets {
  readonly js: string;
  readonly css: string;
}

/** Longest series drawn point by point; longer runs are averaged into equal bins first. */
const MAX_POINTS = 1500;

/**
 * Reads the experiment output folders under `dir`: `dir` itself when it holds a `summary.json`,
 * else each sub-folder that does (sorted by name).
 * @throws ReportInputError when there is none, or a file is not valid JSON
 */
export function readExperiments(dir: string): ReportExperiment[] {
  if (!existsSync(dir)) throw new ReportInputError(dir, "no such folder");
  const dirs = existsSync(join(dir, "summary.json"))
    ? ["."]
    : readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "summary.json"))).map((e) => e.name).sort();
  if (dirs.length === 0) throw new ReportInputError(dir, "holds no summary.json, nor does any sub-folder (run `fulcrum experiment run <id> --out DIR` first)");
  return dirs.map((d) => {
    const read = <T>(file: string): T => {
      const path = join(dir, d, file);
      try {
        return JSON.parse(readFileSync(path, "utf8")) as T;
      } catch (err) {
        throw new ReportInputError(dir, `${join(d, file)} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    };
    const summary = read<ExperimentSummary>("summary.json");
    if (typeof summary.experiment !== "string" || typeof summary.policies !== "object" || summary.policies === null) {
      throw new ReportInputError(dir, `${join(d, "summary.json")} is not an experiment summary (no "experiment" or "policies")`);
    }
    try {
      parseDirections(summary.paper);
    } catch (err) {
      throw new ReportInputError(dir, `${join(d, "summary.json")}: ${(err as Error).message}`, { cause: err });
    }
    return { dir: d, summary, ...(existsSync(join(dir, d, "timeseries.json")) ? { timeseries: read<ExperimentTimeseries>("timeseries.json") } : {}) };
  });
}

/** Bin means of `values` over bins of `k` seconds (the last bin may be shorter). */
function binned(values: readonly number[], k: number): number[] {
  if (k <= 1) return [...values];
  const out: number[] = [];
  for (let i = 0; i < values.length; i += k) {
    const bin = values.slice(i, i + k);
    out.push(bin.reduce((a, b) => a + b, 0) / bin.length);
  }
  return out;
}

/**
 * The charts of one experiment, per workload pattern, as the papers draw them: load and every
 * policy's forecast; cores; accuracy; violations per second, one line per policy.
 */
export function experimentCharts(e: ReportExperiment, index: number): ChartSpec[] {
  const runs = e.timeseries?.runs ?? [];
  const patterns = [...new Set(runs.map((r) => r.pattern))];
  return patterns.flatMap((pattern, pi) => {
    const of = runs.filter((r) => r.pattern === pattern);
    const n = Math.max(...of.map((r) => r.series.arrivals.length));
    const k = Math.ceil(n / MAX_POINTS);
    const x = Array.from({ length: Math.ceil(n / k) }, (_, i) => i * k);
    const per = (title: string, yLabel: string, pick: (r: RunTimeseries) => readonly number[]): ChartSpec => ({
      id: `e${index}-p${pi}-${title.split(" ")[0]!.toLowerCase()}`,
      title: `${e.summary.experiment} · ${pattern} · ${title}${k > 1 ? ` (means over ${k} s)` : ""}`,
      yLabel,
      x,
      series: of.map((r) => ({ label: r.policy, values: binned(pick(r), k) })),
    });
    const load: ChartSpec = {
      ...per("Load and forecast", "requests/s", (r) => r.series.forecastRps),
      series: [{ label: "arrivals", values: binned(of[0]!.series.arrivals, k) }, ...of.map((r) => ({ label: `λ̂ ${r.policy}`, values: binned(r.series.forecastRps, k) }))],
    };
    return [
      load,
      per("Cores allocated", "cores", (r) => r.series.cores),
      per("Accuracy of the assignment in force", "accuracy %", (r) => r.series.accuracyPct),
      per("Violations", "requests/s", (r) => r.series.violations),
    ];
  });
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const fmt = (x: number | undefined, d: number): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

function policyTable(s: ExperimentSummary, policies: Readonly<Record<string, PolicySummary>>, pattern: string | undefined, caption: string): string {
  const rows = Object.entries(policies).map(([name, p]) => {
    const pc = paperFigure(s.paper, pattern, name, "meanCores");
    const pa = paperFigure(s.paper, pattern, name, "meanAccuracy");
    return `<tr><th scope="row">${esc(name)}</th><td>${fmt(100 * p.attainment, 2)}</td><td>${fmt(p.violations, 0)}</td><td>${fmt(p.meanCores, 2)}</td><td>${fmt(p.meanDecidedCores, 2)}</td><td class="paper">${fmt(pc, 2)}</td><td>${fmt(p.meanAccuracy, 2)}</td><td class="paper">${fmt(pa, 1)}</td><td>${fmt(p.p99LatencyMs, 0)}</td><td>${fmt(p.coldStarts, 1)}</td></tr>`;
  });
  return `<table><caption>${esc(caption)}</caption><thead><tr><th>policy</th><th>attainment %</th><th>violations</th><th>mean cores</th><th>decided cores</th><th class="paper">paper cores</th><th>accuracy %</th><th class="paper">paper accuracy</th><th>p99 ms</th><th>cold starts</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function outcomeCells(c: DirectionCheck, o: DirectionOutcome | undefined): string {
  const d = directionDigits(c);
  if (!o) return "<td>–</td><td>–</td>";
  return `<td>${fmt(o.value, d)} vs ${fmt(o.comparatorValue, d)}</td><td class="${o.holds ? "holds" : "fails"}">${o.holds ? "holds" : "does not hold"}</td>`;
}

/** The paper entry's directions, checked on ours (cores as decided, allocated beside) and on the paper's own figures. */
function directionsTable(s: ExperimentSummary): string {
  const checks = checkDirections(s);
  if (checks.length === 0) return "";
  const rows = checks.map((c) => `<tr><th scope="row">${esc(c.name)}</th><td>${esc(c.policy)} vs ${esc(c.comparator)}</td><td>${esc(c.pattern ?? "")}</td>${outcomeCells(c, c.ours)}${c.oursAllocated ? outcomeCells(c, c.oursAllocated) : "<td></td><td></td>"}${outcomeCells(c, c.paper)}</tr>`);
  const caption = `Published directions, checked: ${checks.filter((c) => c.ours.holds).length} of ${checks.length} hold on ours. Cores are compared as the papers count cost, the decided configuration's cores; the cores allocated (switch overlaps and cold starts included) are beside.`;
  return `<table class="directions"><caption>${esc(caption)}</caption><thead><tr><th>direction</th><th>policies</th><th>pattern</th><th colspan="2">ours</th><th colspan="2">ours, allocated cores</th><th class="paper" colspan="2">paper's own figures</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function experimentSection(e: ReportExperiment, charts: readonly ChartSpec[]): string {
  const s = e.summary;
  const claims = (s.paper as { claims?: Array<{ claim: string; source: string }> } | null)?.claims ?? [];
  const source = s.source ? `, commit ${esc(s.source.commit.slice(0, 12))}${s.source.dirty ? " (with uncommitted changes)" : ""}` : "";
  const tables = [policyTable(s, s.policies, undefined, s.patterns ? "Means over the patterns" : "Every policy, the paper's figures beside ours")];
  for (const [pattern, x] of Object.entries(s.patterns ?? {})) tables.push(policyTable(s, x.policies, pattern, `Pattern ${pattern}`));
  return `<section id="${esc(s.experiment)}"><h2>${esc(s.experiment)}: ${esc(s.title)}</h2>
<p class="meta">${esc(s.mode)} run, profiles ${esc(s.profiles)}, seed ${s.seed}, SLO ${s.sloMs} ms${source}. A dash: the paper publishes no such figure.</p>
${tables.join("\n")}
${directionsTable(s)}
${claims.length ? `<ul class="claims">${claims.map((c) => `<li>Paper: ${esc(c.claim)} <span class="src">(${esc(c.source)})</span></li>`).join("")}</ul>` : ""}
${charts.length ? `<div class="charts">${charts.map((c) => `<div class="chart" data-chart="${esc(c.id)}"></div>`).join("")}</div>` : `<p>No timeseries.json: no charts.</p>`}
</section>`;
}

/** The client script: draws every chart of the embedded data with uPlot. */
const CLIENT = `(() => {
  const charts = JSON.parse(document.getElementById("chart-data").textContent);
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  // One colour per policy on every chart (its forecast line too); the load is black.
  const colours = new Map();
  const colour = (label) => {
    if (label === "arrivals") return "#000";
    const key = label.replace(/^λ̂ /, "");
    if (!colours.has(key)) colours.set(key, palette[colours.size % palette.length]);
    return colours.get(key);
  };
  for (const c of charts) {
    const el = document.querySelector('[data-chart="' + c.id + '"]');
    const width = Math.max(320, el.clientWidth || 560);
    const opts = {
      title: c.title, width, height: 260,
      scales: { x: { time: false } },
      axes: [{ label: "time (s)" }, { label: c.yLabel }],
      series: [{ label: "s" }].concat(c.series.map((s) => ({ label: s.label, stroke: colour(s.label), width: s.label === "arrivals" ? 1.5 : 1.2 }))),
    };
    new uPlot(opts, [c.x].concat(c.series.map((s) => s.values)), el);
  }
  document.body.dataset.chartsDrawn = String(charts.length);
})();`;

const CSS = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{margin-top:0}section{margin-bottom:3rem}
table{border-collapse:collapse;margin:.8rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ccc;padding:.25rem .55rem;text-align:right;font-variant-numeric:tabular-nums}th[scope=row]{text-align:left}
.paper{background:#f3f0ff}.holds{color:#1a7f37}.fails{color:#b42318}.meta,.src{color:#666}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1rem}
.chart{min-height:300px}`;

/**
 * The report page: self-contained (uPlot and the data inlined, no network), one section per
 * experiment with its tables (ours beside the paper's) and its charts.
 */
export function renderReport(experiments: readonly ReportExperiment[], assets: ChartAssets): string {
  const charts = experiments.map((e, i) => experimentCharts(e, i));
  // Inside <script>, "<" is escaped so no string in the data can close the element.
  const data = JSON.stringify(charts.flat()).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fulcrum experiments</title>
<style>${assets.css}\n${CSS}</style></head>
<body><h1>Fulcrum experiments</h1>
<p>${experiments.map((e) => `<a href="#${esc(e.summary.experiment)}">${esc(e.summary.experiment)}</a>`).join(" · ")}</p>
${experiments.map((e, i) => experimentSection(e, charts[i]!)).join("\n")}
<script>${assets.js}</script>
<script type="application/json" id="chart-data">${data}</script>
<script>${CLIENT}</script>
</body></html>
`;
}

/** uPlot's browser build and stylesheet, from the installed npm package. */
export function loadChartAssets(): ChartAssets {
  const require = createRequire(import.meta.url);
  const dir = join(require.resolve("uplot/package.json"), "..", "dist");
  return { js: readFileSync(join(dir, "uPlot.iife.min.js"), "utf8"), css: readFileSync(join(dir, "uPlot.min.css"), "utf8") };
}

/** Reads the experiments under `dir` and writes `dir/report.html`; returns its path. */
export function writeReport(dir: string): string {
  const file = join(dir, "report.html");
  writeFileSync(file, renderReport(readExperiments(dir), loadChartAssets()));
  return file;
}

/** `fulcrum report DIR`: rebuilds DIR/report.html from the experiment output(s) in DIR. */
export function reportCommand(io: { out(line: string): void } = { out: (line) => console.log(line) }): Command {
  return new Command("report")
    .description("write DIR/report.html (self-contained: tables beside the papers' numbers, time-series charts) from experiment outputs in DIR or its sub-folders")
    .argument("<dir>", "an experiment's --out folder, or a folder of them (e.g. experiments/results)")
    .action((dir: string) => {
      io.out(`wrote ${writeReport(dir)}`);
    });
}
