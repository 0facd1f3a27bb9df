/** The stage conformance kit: checks a live stage instance against stage contract v1 (docs/extending.md). */
export { CLAUSES } from "./clauses/index.js";
export { CONTRACT } from "./contract.js";
export { ConformanceSetupError } from "./errors.js";
export { formatResult, formatSummary, runConformance, type ConformanceReport, type RunOptions } from "./run.js";
export type { Clause, ClauseResult, ClauseStatus, ClauseVerdict, ConformanceTarget } from "./types.js";
