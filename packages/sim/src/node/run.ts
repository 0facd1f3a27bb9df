import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createHighsSolver } from "@fulcrum/solver";
import { RunModeUnavailableError } from "../errors.js";
import type { PlanOptions } from "../experiment/build.js";
import { runExperiment, type ExperimentDeps, type ExperimentOutput } from "../experiment/run.js";
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
 * Loads an experiment and its data, runs it in the simulator with HiGHS as the solver, and writes
 * `summary.json` and `timeseries.json` to `out`. `live` mode fails with
 * {@link RunModeUnavailableError}: it needs elastic replicas (a reconciler that adds and removes
 * stage replicas live), which do not exist yet.
 */
export async function runExperimentFromDisk(id: string, options: DiskRunOptions): Promise<ExperimentOutput & { readonly files: readonly string[] }> {
  const spec = loadExperiment(id);
  if (options.mode === "live") {
    throw new RunModeUnavailableError("live", "live experiment runs need elastic replicas (a reconciler that starts and drains stage replicas as the assignment asks, issue 11); run with --sim");
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
    mkdirSync(options.out, { recursive: true });
    const files = [join(options.out, "summary.json"), join(options.out, "timeseries.json")];
    writeFileSync(files[0]!, `${JSON.stringify(output.summary, null, 2)}\n`);
    writeFileSync(files[1]!, `${JSON.stringify(output.timeseries)}\n`);
    return { ...output, files };
  } finally {
    await solver.close();
  }
}
