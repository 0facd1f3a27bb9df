/**
 * `@fulcrum/sim/node`: the simulator's file and process edge. Reads experiment definitions, the
 * Twitter trace, profiles and the LSTM, runs experiments with HiGHS, writes their output.
 */
export { DEFAULT_LSTM_FILE, EXPERIMENTS_DIR, listExperiments, loadExperiment, loadExperimentData, loadPaperResults, PAPER_RESULTS_FILE, REPO_ROOT } from "./files.js";
export type { ExperimentEntry } from "./files.js";
export { runExperimentFromDisk } from "./run.js";
export type { DiskRunOptions } from "./run.js";
