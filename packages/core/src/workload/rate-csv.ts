import { TraceParseError, WorkloadOptionsError } from "./errors.js";

/** Options of {@link parseRateCsv}. */
export interface RateCsvOptions {
  /**
   * Every count is divided by this, as IPA and InfAdapter damp the Twitter trace to fit their
   * cluster (IPA uses 8). @default 1
   */
  dampingFactor?: number;
  /** Drop seconds whose count is 0 (IPA filters them before training). @default false */
  dropZeros?: boolean;
}

/** A per-second rate series imported from a CSV. */
export interface RateSeries {
  /** Per-second arrival counts (after damping), one per second from the first row's second. */
  rps: number[];
  /** Unix time in ms of the first second when the file had timestamps; undefined for index or bare-count files. */
  startUnixMs?: number;
  /** Seconds absent from a timestamped file that were filled with 0. */
  filledGaps: number;
}

const SPLIT = /\s*[,;\t]\s*|\s+/;

/** Parses a time cell: a number (Unix seconds, or ms when ≥ 1e11, or a plain index) or an ISO 8601 date. */
function parseTimeCell(cell: string): { seconds: number; isTimestamp: boolean } | undefined {
  if (/^[-+]?\d+(\.\d+)?$/.test(cell)) {
    const v = Number(cell);
    if (v >= 1e11) return { seconds: Math.floor(v / 1000), isTimestamp: true };
    return { seconds: Math.floor(v), isTimestamp: v >= 1e8 };
  }
  // Date.parse is pure (no clock): it only reads the text.
  const ms = Date.parse(cell);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: Math.floor(ms / 1000), isTimestamp: true };
}

/**
 * Parses a per-second request-rate trace. Accepted rows (comma, semicolon, tab or space
 * separated; blank lines and `#` comments skipped; an optional header line whose cells are not
 * numbers):
 * - `<time>,<count>` where time is an index, Unix seconds/ms, or an ISO 8601 date: rows MUST be in
 *   increasing time, one per second at most; missing seconds count as 0 requests;
 * - `<count>` alone (one per line, or many on one line as in InfAdapter's `workload.txt`).
 *
 * Counts must be finite and ≥ 0. Throws {@link TraceParseError} naming the line and the problem.
 */
export function parseRateCsv(text: string, options: RateCsvOptions = {}): RateSeries {
  const damping = options.dampingFactor ?? 1;
  if (!(damping > 0 && Number.isFinite(damping))) {
    throw new WorkloadOptionsError("dampingFactor", `must be a positive number, got ${damping}`);
  }
  const lines = text.split(/\r?\n/);
  const counts: number[] = [];
  let mode: "pairs" | "bare" | undefined;
  let previousSecond: number | undefined;
  let startUnixMs: number | undefined;
  let filledGaps = 0;
  let sawHeader = false;
  let sawData = false;
  const parseCount = (cell: string, line: number): number => {
    const v = Number(cell);
    if (cell === "" || !Number.isFinite(v)) throw new TraceParseError(line, `count "${cell}" is not a number`);
    if (v < 0) throw new TraceParseError(line, `count ${cell} is negative`);
    return v / damping;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] as string).trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const cells = raw.split(SPLIT);
    if (!sawData && !sawHeader && cells.every((c) => !/^[-+]?\d/.test(c))) {
      sawHeader = true;
      continue;
    }
    const rowMode = mode === "bare" || (mode === undefined && cells.length !== 2) ? "bare" : "pairs";
    if (mode === undefined) mode = rowMode;
    sawData = true;
    if (mode === "bare") {
      for (const cell of cells) counts.push(parseCount(cell, line));
      continue;
    }
    if (cells.length !== 2) {
      throw new TraceParseError(line, `expected 2 columns (time, count) like the first data row, got ${cells.length}`);
    }
    const time = parseTimeCell(cells[0] as string);
    if (time === undefined) throw new TraceParseError(line, `time "${cells[0]}" is neither a number nor an ISO 8601 date`);
    const count = parseCount(cells[1] as string, line);
    if (previousSecond === undefined) {
      if (time.isTimestamp) startUnixMs = time.seconds * 1000;
    } else {
      if (time.seconds === previousSecond) throw new TraceParseError(line, `second ${cells[0]} appears twice (rows must be one per second)`);
      if (time.seconds < previousSecond) throw new TraceParseError(line, `time ${cells[0]} goes backwards (rows must be in increasing time)`);
      for (let s = previousSecond + 1; s < time.seconds; s++) {
        counts.push(0);
        filledGaps++;
      }
    }
    previousSecond = time.seconds;
    counts.push(count);
  }
  if (counts.length === 0) throw new TraceParseError(0, "the trace has no data rows");
  const rps = options.dropZeros ? counts.filter((c) => c > 0) : counts;
  return startUnixMs === undefined ? { rps, filledGaps } : { rps, startUnixMs, filledGaps };
}
