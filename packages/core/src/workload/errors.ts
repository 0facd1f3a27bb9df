import { FulcrumError } from "../errors/index.js";
/**
 * A trace text (rate CSV or bandwidth log) could not be parsed. `line` is 1-based and points at the
 * offending row, so users can fix their file without guessing.
 */
export class TraceParseError extends FulcrumError {
  override readonly name = "TraceParseError";
  /** 1-based line number of the offending row (0 when the problem concerns the whole text). */
  readonly line: number;
  /** What was wrong, without the line prefix. */
  readonly problem: string;

  constructor(line: number, problem: string, options?: { cause?: unknown }) {
    super("TRACE_PARSE_FAILED", "invalid-argument", line > 0 ? `line ${line}: ${problem}` : problem, options);
    this.line = line;
    this.problem = problem;
  }
}

/** A generator or conversion was given options it cannot honour (negative duration, empty series, …). */
export class WorkloadOptionsError extends FulcrumError {
  override readonly name = "WorkloadOptionsError";
  /** The offending option's name. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super("WORKLOAD_OPTION_INVALID", "invalid-argument", `${option}: ${message}`, options);
    this.option = option;
  }
}
