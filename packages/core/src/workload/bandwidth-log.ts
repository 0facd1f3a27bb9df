import { TraceParseError } from "./errors.js";

/**
 * Parses a 4G/LTE bandwidth log in the Ghent format Sponge replays (`report_bus_0001.log`): one
 * measurement per line, whitespace separated, with `bytes` in column 5 and the transfer `duration`
 * in ms in column 6 (columns 1–4: timestamp, elapsed ms, latitude, longitude). Returns one
 * bandwidth per line in MB/s (10^6 bytes per second). Blank lines and `#` comments are skipped.
 * Throws {@link TraceParseError} naming the line and the problem.
 */
export function parseBandwidthLog(text: string): number[] {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] as string).trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const cells = raw.split(/\s+/);
    if (cells.length < 6) throw new TraceParseError(line, `expected at least 6 columns (… bytes duration_ms), got ${cells.length}`);
    const bytes = Number(cells[4]);
    const durationMs = Number(cells[5]);
    if (!Number.isFinite(bytes) || bytes < 0) throw new TraceParseError(line, `bytes (column 5) "${cells[4]}" is not a number ≥ 0`);
    if (!Number.isFinite(durationMs) || durationMs <= 0) {
      throw new TraceParseError(line, `duration_ms (column 6) "${cells[5]}" is not a number > 0`);
    }
    if (bytes === 0) throw new TraceParseError(line, "bytes (column 5) is 0: a zero bandwidth gives no finite upload time");
    // bytes per ms ÷ 1000 = MB/s.
    out.push(bytes / durationMs / 1000);
  }
  if (out.length === 0) throw new TraceParseError(0, "the bandwidth log has no data rows");
  return out;
}
