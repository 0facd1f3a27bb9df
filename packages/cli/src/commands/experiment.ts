import { join } from "node:path";
import { checkDirections, paperFigure, type DirectionCheck, type DirectionOutcome, type ExperimentSummary, type PolicySummary } from "@fulcrum/sim";
import { listExperiments, loadExperiment, runExperimentFromDisk } from "@fulcrum/sim/node";
import cliProgress from "cli-progress";
import { Command, InvalidArgumentError } from "commander";

/** Where `fulcrum experiment` prints (stdout by default; tests capture it). */
export interface ExperimentCommandIo {
  out(line: string): void;
  /** Show a progress bar on stderr. @default process.stderr.isTTY */
  progress?: boolean;
}

/** Options of `fulcrum experiment run`, after parsing. */
interface RunCliOptions {
  sim?: boolean;
  live?: boolean;
  seed?: number;
  out?: string;
  profiles?: string;
  policies?: string[];
  patterns?: string[];
  forecaster?: string;
  progress: boolean;
}

function seedOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be an integer >= 0, got "${value}"`);
  return n;
}

function nameList(option: string) {
  return (value: string): string[] => {
    const xs = value.split(",").map((x) => x.trim());
    if (xs.some((x) => x === "")) throw new InvalidArgumentError(`${option} must be a comma-separated list of names, got "${value}"`);
    return xs;
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const num = (x: number, d = 2): string => x.toFixed(d);

/** Decimals a direction's figures are printed with: whole violations, accuracy to 0.1 %, cores to 0.01. */
export const directionDigits = (c: DirectionCheck): number => (c.metric === "violations" ? 0 : c.metric === "accuracy" ? 1 : 2);
const figure = (c: DirectionCheck, x: number): string => num(x, directionDigits(c));
const outcomeText = (c: DirectionCheck, o: DirectionOutcome): string => `${figure(c, o.value)} vs ${figure(c, o.comparatorValue)}, ${o.holds ? "holds" : "does not hold"}`;

/**
 * One checked direction on a line: ours (cores as the papers count them, decided), the allocated
 * cores beside for a cores direction, and the paper's own figures where it publishes both.
 */
export function directionLine(c: DirectionCheck): string {
  const where = c.pattern === null ? "" : ` [${c.pattern}]`;
  const allocated = c.oursAllocated ? `; allocated cores ${outcomeText(c, c.oursAllocated)}` : "";
  const paper = c.paper ? `; paper ${outcomeText(c, c.paper)}` : "; paper: no per-policy figures";
  return `${c.name}: ${c.policy} vs ${c.comparator}${where}: ours ${outcomeText(c, c.ours)}${allocated}${paper}`;
}

/** The lines of a summary table, ours beside the paper's where it publishes the figure. */
export function summaryLines(s: ExperimentSummary): string[] {
  const lines: string[] = [];
  const table = (title: string, policies: Readonly<Record<string, PolicySummary>>, pattern: string | undefined): void => {
    lines.push(title);
    lines.push(`  ${"policy".padEnd(16)}${"attainment".padStart(11)}${"violations".padStart(12)}${"cores".padStart(8)}${"decided".padStart(9)}${"(paper)".padStart(9)}${"accuracy".padStart(10)}${"(paper)".padStart(9)}${"p99 ms".padStart(9)}${"cold".padStart(7)}`);
    for (const [name, p] of Object.entries(policies)) {
      const pc = paperFigure(s.paper, pattern, name, "meanCores");
      const pa = paperFigure(s.paper, pattern, name, "meanAccuracy");
      lines.push(
        `  ${name.padEnd(16)}${pct(p.attainment).padStart(11)}${num(p.violations, 0).padStart(12)}${num(p.meanCores).padStart(8)}${num(p.meanDecidedCores).padStart(9)}${(pc === undefined ? "-" : num(pc)).padStart(9)}` +
          `${num(p.meanAccuracy).padStart(10)}${(pa === undefined ? "-" : num(pa, 1)).padStart(9)}${num(p.p99LatencyMs, 0).padStart(9)}${num(p.coldStarts, 1).padStart(7)}`,
      );
    }
  };
  table(`${s.experiment} (${s.mode}, profiles ${s.profiles}, seed ${s.seed})${s.patterns ? ": means over patterns" : ""}`, s.policies, undefined);
  for (const [pattern, x] of Object.entries(s.patterns ?? {})) table(`pattern ${pattern}`, x.policies, pattern);
  const claims = (s.paper as { claims?: { claim: string; source: string }[] } | null)?.claims ?? [];
  for (const c of claims) lines.push(`paper: ${c.claim} (${c.source})`);
  const checks = checkDirections(s);
  if (checks.length > 0) {
    lines.push(`directions (${checks.filter((c) => c.ours.holds).length} of ${checks.length} hold on ours; cores as the papers count them, the decided configuration's):`);
    for (const c of checks) lines.push(`  ${directionLine(c)}`);
  }
  if (s.cost) {
    const c = s.cost.total;
    lines.push(`simulated ${c.requests} requests in ${num(c.wallMs / 1000, 1)} s (control steps ${num(c.decisionWallMs / 1000, 1)} s, ${c.decisions} of them, mean ${num(c.decisionWallMeanMs, 1)} ms, max ${num(c.decisionWallMaxMs, 0)} ms); data plane ${num(c.engineRequestsPerSecond, 0)} requests/s${c.engineRequestsPerCpuSecond !== undefined ? ` (${num(c.engineRequestsPerCpuSecond, 0)} per CPU second)` : ""}`);
  }
  return lines;
}

/**
 * `fulcrum experiment`: `list` the experiments in `experiments/`, and `run <id>` one in the
 * simulator (the papers' experiments side by side with their published numbers), writing
 * `summary.json` and `timeseries.json`. `--live` fails, saying why: the papers' scale does not fit
 * a small machine; `npm run bench -- fidelity` compares live and simulated runs instead.
 */
export function experimentCommand(io: ExperimentCommandIo = { out: (line) => console.log(line) }): Command {
  const showProgress = io.progress ?? Boolean(process.stderr.isTTY);
  const experiment = new Command("experiment").description("the papers' experiments (InfAdapter, IPA, Sponge, scale) in the simulator");
  experiment
    .command("list")
    .description("list the experiments in experiments/")
    .action(() => {
      for (const e of listExperiments()) {
        const spec = loadExperiment(e.file);
        io.out(`${e.id.padEnd(16)} ${e.title}`);
        io.out(`${"".padEnd(16)} policies ${spec.policies.map((p) => p.name).join(", ")}; patterns ${Object.keys(spec.workload.patterns).join(", ")}; profiles ${Object.keys(spec.profiles).join(", ")} (default ${spec.defaultProfiles})`);
      }
    });
  experiment
    .command("run")
    .description("run an experiment (by id, unique id prefix such as e2, or YAML path) and write summary.json and timeseries.json")
    .argument("<id>", "experiment id, id prefix (e1…e4) or .yaml file")
    .option("--sim", "run in the simulator (the default)")
    .option("--live", "run live (refused: the papers' scale does not fit this machine; see npm run bench -- fidelity)")
    .option("--seed <n>", "seed of arrivals and service times (default: the experiment's)", seedOption)
    .option("--out <dir>", "output folder (default: .fulcrum/experiments/<id>/<profiles>-seed<n>)")
    .option("--profiles <set>", "profile set: paper (published profiles) or measured (profiles/*.json from this machine)")
    .option("--policies <list>", "only these policy labels, comma separated", nameList("--policies"))
    .option("--patterns <list>", "only these workload patterns, comma separated", nameList("--patterns"))
    .option("--forecaster <name>", "sensitivity check: every policy forecasts with this one on 10 s bins (lstm, best, moving-max, last-value, ewma, holt; point value)")
    .option("--no-progress", "no progress bar")
    .action(async (id: string, o: RunCliOptions) => {
      if (o.sim && o.live) throw new InvalidArgumentError("give either --sim or --live, not both");
      const spec = loadExperiment(id);
      const profiles = o.profiles ?? spec.defaultProfiles;
      const seed = o.seed ?? spec.seed;
      const out = o.out ?? join(".fulcrum", "experiments", spec.id, `${profiles}-seed${seed}${o.forecaster ? `-forecaster-${o.forecaster}` : ""}`);
      const bar = showProgress && o.progress
        ? new cliProgress.SingleBar({ format: "{experiment} [{bar}] {percentage}% | run {runsDone}/{runs} {run} | ETA {eta_formatted}", hideCursor: true }, cliProgress.Presets.shades_classic)
        : undefined;
      bar?.start(1000, 0, { experiment: spec.id, runsDone: 0, runs: "?", run: "" });
      try {
        // The argument itself, not spec.id: a YAML path must run that file, not the repo's copy of the same id.
        const result = await runExperimentFromDisk(id, {
          mode: o.live ? "live" : "sim",
          out,
          profiles,
          seed,
          ...(o.policies ? { policies: o.policies } : {}),
          ...(o.patterns ? { patterns: o.patterns } : {}),
          ...(o.forecaster ? { forecast: { serve: o.forecaster, value: "point" as const, marginFraction: 0, binS: 10, horizonS: 20 } } : {}),
          onProgress: (p) => bar?.update(Math.round((1000 * (p.done + p.fraction)) / Math.max(1, p.total)), { runsDone: Math.min(p.done + 1, p.total), runs: p.total, run: p.run }),
        });
        bar?.stop();
        for (const line of summaryLines(result.summary)) io.out(line);
        io.out(`wrote ${result.files.join(" and ")}`);
      } finally {
        bar?.stop();
      }
    });
  return experiment;
}
