import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseLstmWeights, type LstmWeights } from "@fulcrum/core/forecast";
import { loadTwitterTrace } from "@fulcrum/runtime";
import type { ExperimentData } from "../experiment/build.js";
import { parseExperimentYaml, type ExperimentSpec } from "../experiment/schema.js";
import { ExperimentConfigError, ExperimentNotFoundError } from "../errors.js";

/** The repository root (same depth from `src/node/` and `dist/node/`). */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
/** Where experiment definitions live. */
export const EXPERIMENTS_DIR = join(REPO_ROOT, "experiments");
/** The published numbers beside which results are reported. */
export const PAPER_RESULTS_FILE = join(EXPERIMENTS_DIR, "paper-results.json");
/** The predictor's committed default LSTM (the one the live predictor serves). */
export const DEFAULT_LSTM_FILE = join(REPO_ROOT, "services/predictor/models/lstm-default.json");

/** An experiment definition found on disk. */
export interface ExperimentEntry {
  readonly id: string;
  readonly title: string;
  readonly file: string;
}

/** Every `experiments/*.yaml`, parsed (a broken one throws, naming its file and keys). */
export function listExperiments(dir = EXPERIMENTS_DIR): ExperimentEntry[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const spec = parseExperimentYaml(readFileSync(file, "utf8"), file);
      if (`${spec.id}.yaml` !== f) throw new ExperimentConfigError(file, [{ key: "id", message: `"${spec.id}" must match the file name ${f}` }]);
      return { id: spec.id, title: spec.title, file };
    });
}

/**
 * An experiment by id (`e2-ipa-video`), by its unique id prefix (`e2`), or by a YAML path.
 * @throws ExperimentNotFoundError listing the ids there are
 */
export function loadExperiment(idOrFile: string, dir = EXPERIMENTS_DIR): ExperimentSpec {
  if (idOrFile.endsWith(".yaml")) return parseExperimentYaml(readFileSync(idOrFile, "utf8"), idOrFile);
  const all = listExperiments(dir);
  const exact = all.find((e) => e.id === idOrFile);
  const byPrefix = all.filter((e) => e.id.startsWith(`${idOrFile}-`));
  const hit = exact ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (!hit) throw new ExperimentNotFoundError(idOrFile, all.map((e) => e.id));
  return parseExperimentYaml(readFileSync(hit.file, "utf8"), hit.file);
}

/** Reads what an experiment's runs need: the Twitter trace, every profile file it names, its bandwidth log if any, the default LSTM. */
export function loadExperimentData(spec: ExperimentSpec, options: { root?: string; lstmFile?: string } = {}): ExperimentData {
  const root = options.root ?? REPO_ROOT;
  const files = new Map<string, string>();
  for (const [set, p] of Object.entries(spec.profiles)) {
    for (const [stage, s] of Object.entries(p.stages)) {
      for (const f of [s.file, ...("scaleFrom" in s && s.scaleFrom ? [s.scaleFrom] : [])]) {
        if (files.has(f)) continue;
        try {
          files.set(f, readFileSync(isAbsolute(f) ? f : join(root, f), "utf8"));
        } catch (err) {
          throw new ExperimentConfigError(spec.id, [{ key: `profiles.${set}.stages.${stage}`, message: `cannot read ${f}: ${(err as Error).message}` }], { cause: err });
        }
      }
    }
  }
  const budgets = spec.workload.budgets;
  if (budgets?.kind === "bandwidth-log" && !files.has(budgets.file)) {
    try {
      files.set(budgets.file, readFileSync(isAbsolute(budgets.file) ? budgets.file : join(root, budgets.file), "utf8"));
    } catch (err) {
      throw new ExperimentConfigError(spec.id, [{ key: "workload.budgets.file", message: `cannot read ${budgets.file}: ${(err as Error).message}` }], { cause: err });
    }
  }
  return { twitter: loadTwitterTrace(), files, lstm: loadLstm(options.lstmFile ?? DEFAULT_LSTM_FILE) };
}

function loadLstm(file: string): LstmWeights {
  return parseLstmWeights(JSON.parse(readFileSync(file, "utf8")));
}

/** The published numbers of `key` in `experiments/paper-results.json` (with their provenance), or null without a key. */
export function loadPaperResults(key: string | undefined, file = PAPER_RESULTS_FILE): unknown {
  if (key === undefined) return null;
  const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  if (!(key in all)) throw new ExperimentConfigError(file, [{ key, message: `no entry (has ${Object.keys(all).filter((k) => !k.startsWith("$")).join(", ")})` }]);
  return all[key];
}
