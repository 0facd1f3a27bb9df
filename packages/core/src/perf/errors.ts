import { FulcrumError } from "../errors/index.js";
/** Invalid performance-model input: a non-positive batch, cores or rate, or a malformed table. */
export class PerfModelError extends FulcrumError {
  override readonly name = "PerfModelError";
  /** Variant the failing lookup or fit was for, when known. */
  readonly variant: string | undefined;

  constructor(message: string, options: { variant?: string; cause?: unknown } = {}) {
    super("PERF_MODEL_INVALID", "invalid-argument", message, { cause: options.cause });
    this.variant = options.variant;
  }
}

/** One problem found in a profile document: where (`field`, a dotted path) and what. */
export interface ProfileIssue {
  /** Path of the offending field, e.g. `variants[0].points[3].p99Ms` (`(root)` for the document). */
  readonly field: string;
  readonly message: string;
}

/**
 * A profile document that does not match the schema, or does not match what the caller expected
 * (family, statistic). The message lists every issue as `field: message`; `field` is the first.
 */
export class ProfileError extends FulcrumError {
  override readonly name = "ProfileError";
  /** Path of the first offending field. */
  readonly field: string;
  readonly issues: readonly ProfileIssue[];
  /** File the document came from, when the caller said so. */
  readonly source: string | undefined;

  constructor(issues: readonly ProfileIssue[], options: { source?: string; cause?: unknown } = {}) {
    const where = options.source ? ` (${options.source})` : "";
    super("PROFILE_INVALID", "invalid-argument", `invalid profile${where}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`, { cause: options.cause });
    this.issues = issues;
    this.field = issues[0]?.field ?? "(root)";
    this.source = options.source;
  }
}

/**
 * A latency-grid CSV (`batch,cores,latency_ms` rows, e.g. Sponge's published YOLOv5 grid) that
 * cannot be read. `line` is 1-based and points at the offending row (0 for the whole text).
 */
export class LatencyCsvError extends FulcrumError {
  override readonly name = "LatencyCsvError";
  readonly line: number;

  constructor(line: number, problem: string, options?: { cause?: unknown }) {
    super("LATENCY_CSV_INVALID", "invalid-argument", line > 0 ? `line ${line}: ${problem}` : problem, options);
    this.line = line;
  }
}
