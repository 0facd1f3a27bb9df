import { describe, expect, it } from "vitest";
import { parseBandwidthLog } from "./bandwidth-log.js";
import { TraceParseError, WorkloadOptionsError } from "./errors.js";
import { parseRateCsv } from "./rate-csv.js";

function parseError(fn: () => unknown): TraceParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TraceParseError) return err;
    throw err;
  }
  throw new Error("expected a TraceParseError");
}

describe("parseRateCsv", () => {
  it("reads index,count rows with a header and applies the damping factor", () => {
    const got = parseRateCsv("second,count\n0,16\n1,24\n2,8\n", { dampingFactor: 8 });
    expect(got).toEqual({ rps: [2, 3, 1], filledGaps: 0 });
  });

  it("reads Unix timestamps and ISO dates, filling missing seconds with zeros", () => {
    const unix = parseRateCsv("1700000000,5\n1700000001,6\n1700000004,7");
    expect(unix).toEqual({ rps: [5, 6, 0, 0, 7], startUnixMs: 1_700_000_000_000, filledGaps: 2 });
    const iso = parseRateCsv("time;count\n2024-01-01T00:00:00Z;1\n2024-01-01T00:00:02Z;3\n");
    expect(iso.rps).toEqual([1, 0, 3]);
    expect(iso.startUnixMs).toBe(Date.UTC(2024, 0, 1));
  });

  it("reads bare counts, one per line or space separated, skipping comments and blanks", () => {
    expect(parseRateCsv("# twitter\n3\n\n4\n0\n").rps).toEqual([3, 4, 0]);
    expect(parseRateCsv("3 4 0 5", { dropZeros: true }).rps).toEqual([3, 4, 5]);
  });

  it.each([
    ["t,c\n0,1\n1,abc\n", 3, 'count "abc" is not a number'],
    ["0,1\n1,-2\n", 2, "count -2 is negative"],
    ["0,1\n0,2\n", 2, "second 0 appears twice"],
    ["5,1\n3,2\n", 2, "time 3 goes backwards"],
    ["0,1\n1,2,3\n", 2, "expected 2 columns (time, count) like the first data row, got 3"],
    ["0,1\nyesterday,2\n", 2, 'time "yesterday" is neither a number nor an ISO 8601 date'],
  ])("names the line and the problem: %j", (text, line, problem) => {
    const err = parseError(() => parseRateCsv(text));
    expect(err.line).toBe(line);
    expect(err.problem).toContain(problem);
    expect(err.message).toBe(`line ${line}: ${err.problem}`);
  });

  it("rejects an empty trace and a bad damping factor", () => {
    expect(() => parseRateCsv("time,count\n")).toThrow(/no data rows/);
    expect(() => parseRateCsv("1", { dampingFactor: 0 })).toThrow(WorkloadOptionsError);
  });
});

describe("parseBandwidthLog", () => {
  const row = (bytes: string, ms: string): string => `1453121790621 1 51.06 3.73 ${bytes} ${ms}`;

  it("turns bytes/duration into MB/s per line", () => {
    expect(parseBandwidthLog(`${row("430000", "1000")}\n\n${row("3500000", "500")}\n`)).toEqual([0.43, 7]);
  });

  it.each([
    [`${row("1000", "1")}\n1 2 3 4 5`, 2, "expected at least 6 columns"],
    [`${row("x", "1")}`, 1, 'bytes (column 5) "x" is not a number'],
    [`${row("1000", "1")}\n${row("1000", "0")}`, 2, 'duration_ms (column 6) "0" is not a number > 0'],
    [`${row("0", "10")}`, 1, "bytes (column 5) is 0"],
  ])("names the line and the problem: %j", (text, line, problem) => {
    const err = parseError(() => parseBandwidthLog(text));
    expect(err.line).toBe(line);
    expect(err.problem).toContain(problem);
  });
});
