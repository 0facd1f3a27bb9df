import { PerfModelError } from "./errors.js";
import { throughputRps } from "./latency-model.js";
import type { MeasuredLatency } from "./perf-model.js";

/** One row of IPA's measured profile: a batch size's latency and the throughput it gives. */
export interface BatchTableRow {
  readonly batch: number;
  readonly latencyMs: number;
  /** `b / l`, rps per replica. */
  readonly throughputRps: number;
}

/** IPA's measured-profile path: per core count, the measured batches, used as they are (no model). */
export interface BatchTable {
  readonly cores: number;
  /** Ascending batch. */
  readonly rows: readonly BatchTableRow[];
}

/**
 * Groups measured points into one table per core count (ascending cores, then batch). IPA's
 * optimizer uses these directly (`only_measured_profiles: true`), so a table is exact where it
 * exists and silent elsewhere: it has no fit error and never extrapolates.
 * @throws PerfModelError for a duplicated (batch, cores) point
 */
export function buildBatchTables(points: readonly MeasuredLatency[]): BatchTable[] {
  const byCores = new Map<number, BatchTableRow[]>();
  for (const p of points) {
    const rows = byCores.get(p.cores) ?? [];
    if (rows.some((r) => r.batch === p.batch)) throw new PerfModelError(`duplicate measured point b=${p.batch} c=${p.cores}`);
    rows.push({ batch: p.batch, latencyMs: p.latencyMs, throughputRps: throughputRps(p.batch, p.latencyMs) });
    byCores.set(p.cores, rows);
  }
  return [...byCores.entries()]
    .sort(([a], [b]) => a - b)
    .map(([cores, rows]) => ({ cores, rows: rows.sort((a, b) => a.batch - b.batch) }));
}
