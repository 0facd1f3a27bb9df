import type { MeasuredLatency } from "@fulcrum/core/perf";
import { ExperimentConfigError } from "../errors.js";

/**
 * Parses Sponge's YOLOv5 latency grid (`data/sponge/yolov5-grid.csv`, header `batch,cores,latency_ms`).
 * Pure: the caller reads the file. @throws ExperimentConfigError naming the line of a bad row
 */
export function parseLatencyGridCsv(text: string, source = "latency grid CSV"): MeasuredLatency[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if ((lines[0] ?? "").trim() !== "batch,cores,latency_ms") {
    throw new ExperimentConfigError(source, [{ key: "header", message: `expected "batch,cores,latency_ms", got "${lines[0] ?? ""}"` }]);
  }
  return lines.slice(1).map((line, k) => {
    const [b, c, l] = line.split(",").map((x) => Number(x.trim()));
    if (!Number.isInteger(b) || b! < 1 || !Number.isInteger(c) || c! < 1 || !(l! > 0)) {
      throw new ExperimentConfigError(source, [{ key: `line ${k + 2}`, message: `"${line}" is not batch ≥ 1, cores ≥ 1, latency > 0` }]);
    }
    return { batch: b!, cores: c!, latencyMs: l! };
  });
}
