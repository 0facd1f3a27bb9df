import { LatencyCsvError } from "./errors.js";
import type { MeasuredLatency } from "./perf-model.js";

const COLUMNS = ["batch", "cores", "latency_ms"] as const;

/**
 * Parses a latency grid: a header naming the columns `batch`, `cores` and `latency_ms` (any order,
 * no others), then one row per measured point, comma separated; blank lines are skipped. Values
 * are kept exactly as written (no rounding). `batch` and `cores` must be integers ≥ 1, `latency_ms`
 * a finite number > 0, and no (batch, cores) may appear twice.
 * @throws LatencyCsvError naming the line and the problem
 */
export function parseLatencyCsv(text: string): MeasuredLatency[] {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) throw new LatencyCsvError(0, "the text is empty");
  const header = (lines[headerIndex] as string).split(",").map((c) => c.trim());
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0 || header.length !== COLUMNS.length) {
    throw new LatencyCsvError(headerIndex + 1, `header must name exactly the columns ${COLUMNS.join(", ")}, got "${header.join(",")}"`);
  }
  const at = COLUMNS.map((c) => header.indexOf(c));
  const points: MeasuredLatency[] = [];
  const seen = new Set<string>();
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === "") continue;
    const line = i + 1;
    const cells = raw.split(",").map((c) => c.trim());
    if (cells.length !== COLUMNS.length) throw new LatencyCsvError(line, `expected ${COLUMNS.length} cells, got ${cells.length}`);
    const [batch, cores, latencyMs] = at.map((k, j) => {
      const cell = cells[k] as string;
      const v = cell === "" ? NaN : Number(cell);
      const name = COLUMNS[j] as string;
      if (name === "latency_ms" ? !(v > 0 && Number.isFinite(v)) : !(Number.isInteger(v) && v >= 1)) {
        throw new LatencyCsvError(line, `${name} "${cell}" must be ${name === "latency_ms" ? "a finite number > 0" : "an integer ≥ 1"}`);
      }
      return v;
    }) as [number, number, number];
    const key = `${batch}x${cores}`;
    if (seen.has(key)) throw new LatencyCsvError(line, `batch ${batch} on ${cores} cores appears twice`);
    seen.add(key);
    points.push({ batch, cores, latencyMs });
  }
  if (points.length === 0) throw new LatencyCsvError(0, "the grid has no data rows");
  return points;
}
