import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createHighsSolver } from "@fulcrum/solver";
import { RunModeUnavailableError } from "../errors.js";
import type { PlanOptions } from "../experiment/build.js";
import { runExperiment, type ExperimentDeps, type ExperimentOutput } from "../experiment/run.js";
import type { SourceRevision } from "../experiment/summary.js";
import { loadExperiment, loadExperimentData, loadPaperResults } from "./files.js";

/** Options of {@link runExperimentFromDisk} (what `fulcrum experiment run` takes). */
export interface DiskRunOptions {
  /** `sim` (default) or `live`. */
  readonly mode?: "sim" | "live";
  readonly profiles?: string;
  readonly seed?: number;
  /** Output folder: `summary.json` and `timeseries.json` are written there. */
  readonly out: string;
  readonly policies?: readonly string[];
  readonly patterns?: readonly string[];
  readonly forecast?: PlanOptions["forecast"];
  readonly onProgress?: ExperimentDeps["onProgress"];
}

/**
 * Loads an experiment (`id`: an id, a unique id prefix or a `.yaml` path, as `loadExperiment`) and
 * its data, runs it in the simulator with HiGHS as the solver, and writes `summary.json` and
 * `timeseries.json` to `out`. `live` mode fails with {@link RunModeUnavailableError}: the papers'
 * experiments need their scale (20 cores for E1,
 * thousands for E4), so the live system is checked against the simulator by the fidelity benchmark
 * instead, on a pipeline and load this machine can carry.
 */
export async function runExperimentFromDisk(id: string, options: DiskRunOptions): Promise<ExperimentOutput & { readonly files: readonly string[] }> {
  const spec = loadExperiment(id);
  if (options.mode === "live") {
    throw new RunModeUnavailableError("live", "the papers' experiments need their scale (E1: 20 cores, E2: up to 8, E4: thousands); live and simulated runs are compared on what this machine carries by `npm run bench -- fidelity`; run with --sim");
  }
  const data = loadExperimentData(spec);
  const paper = loadPaperResults(spec.paper);
  const solver = createHighsSolver();
  try {
    const cpuClock = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const output = await runExperiment(spec, data, { solver, wallClock: () => performance.now(), cpuClock, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }, {
      paper,
      ...(options.profiles ? { profiles: options.profiles } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.policies ? { policies: options.policies } : {}),
      ...(options.patterns ? { patterns: options.patterns } : {}),
      ...(options.forecast ? { forecast: options.forecast } : {}),
    });
    const source = sourceRevision();
    const noted = source ? { summary: { ...output.summary, source }, timeseries: { ...output.timeseries, source } } : output;
    mkdirSync(options.out, { recursive: true });
    const files = [join(options.out, "summary.json"), join(options.out, "timeseries.json")];
    writeFileSync(files[0]!, `${JSON.stringify(noted.summary, null, 2)}\n`);
    writeFileSync(files[1]!, `${JSON.stringify(noted.timeseries)}\n`);
    return { ...noted, files };
  } finally {
    await solver.close();
  }
}

/** The commit checked out where the process runs, and whether tracked files differ from it; undefined outside git. */
function sourceRevision(): SourceRevision | undefined {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    // Not a git checkout (or no git): the summary simply carries no revision.
    return undefined;
  }
}
