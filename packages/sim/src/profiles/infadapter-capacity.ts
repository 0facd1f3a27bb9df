import { PerfModelError, type PerfModel } from "@fulcrum/core/perf";
import { ExperimentConfigError } from "../errors.js";

/** One row of InfAdapter's capacity CSV (`data/infadapter/capacity-resnet.csv`) that the simulator reads. */
export interface CapacityRow {
  /** `resnet18` … `resnet152` (the CSV's ARCH column is the depth). */
  readonly variant: string;
  readonly cores: number;
  /** The SLA the capacity was searched for, ms. */
  readonly slaMs: number;
  /** Highest Poisson rate with p99 ≤ SLA, rps. */
  readonly capacityRps: number;
  /** Throughput at saturation, rps; `undefined` where the CSV cell is empty. */
  readonly saturationRps: number | undefined;
}

/**
 * Parses InfAdapter's capacity CSV (header `REPLICA,HARDWARE,CPU,MEM,ARCH,BATCH,…,SLA,p99_latency,
 * capacity,saturation_tp,timestamp`). Pure: the caller reads the file.
 * @throws ExperimentConfigError naming the line and column of a bad cell
 */
export function parseCapacityCsv(text: string, source = "capacity CSV"): CapacityRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").split(",");
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new ExperimentConfigError(source, [{ key: "header", message: `no column "${name}" (has ${header.join(", ")})` }]);
    return i;
  };
  const [cCpu, cArch, cBatch, cSla, cCap, cSat] = [col("CPU"), col("ARCH"), col("BATCH"), col("SLA"), col("capacity"), col("saturation_tp")];
  return lines.slice(1).map((line, k) => {
    const cells = line.split(",");
    const num = (c: number, name: string, optional = false): number | undefined => {
      const raw = (cells[c] ?? "").trim();
      if (raw === "" && optional) return undefined;
      const v = Number(raw);
      if (raw === "" || !Number.isFinite(v)) throw new ExperimentConfigError(source, [{ key: `line ${k + 2}.${name}`, message: `"${raw}" is not a number` }]);
      return v;
    };
    if (num(cBatch, "BATCH") !== 1) throw new ExperimentConfigError(source, [{ key: `line ${k + 2}.BATCH`, message: "only batch 1 rows are supported (InfAdapter profiled batch 1)" }]);
    return {
      variant: `resnet${num(cArch, "ARCH")!}`,
      cores: num(cCpu, "CPU")!,
      slaMs: num(cSla, "SLA")!,
      capacityRps: num(cCap, "capacity")!,
      saturationRps: num(cSat, "saturation_tp", true),
    };
  });
}

/**
 * InfAdapter's capacity measurements as a service-time model. InfAdapter measured, per (variant,
 * cores), the highest rate each SLA sustains and the saturation throughput, at batch 1; the
 * service rate of the replica is taken as the largest of those rates over the SLA rows,
 * `μ(v,c) = max(saturation, capacity)` (a server cannot sustain more than it serves, and TF
 * Serving's replica saturates at its service rate). A request then takes `1000/μ` ms of the
 * replica and a batch of b takes `b·1000/μ` (TF Serving ran batch 1: no batching gain is assumed,
 * so batching never looks better than measured). Deterministic: the CSV gives no spread.
 * Lookups at b = 1 are `measured`, larger batches `model` and flagged outside the measured range.
 */
export function capacityServicePerf(rows: readonly CapacityRow[]): PerfModel {
  const mu = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const byCores = mu.get(r.variant) ?? new Map<number, number>();
    byCores.set(r.cores, Math.max(byCores.get(r.cores) ?? 0, r.capacityRps, r.saturationRps ?? 0));
    mu.set(r.variant, byCores);
  }
  return {
    variants: () => [...mu.keys()],
    latency(variant, batch, cores) {
      const byCores = mu.get(variant);
      if (!byCores) throw new PerfModelError(`unknown variant "${variant}" (capacity table has ${[...mu.keys()].join(", ")})`, { variant });
      const rate = byCores.get(cores);
      if (rate === undefined || !(rate > 0)) {
        throw new PerfModelError(`capacity table has no positive rate for "${variant}" at ${cores} cores (measured cores ${[...byCores.keys()].join(", ")})`, { variant });
      }
      if (!Number.isInteger(batch) || batch < 1) throw new PerfModelError(`batch must be an integer ≥ 1, got ${batch}`, { variant });
      return { latencyMs: (1000 * batch) / rate, source: batch === 1 ? "measured" : "model", outsideMeasuredRange: batch !== 1 };
    },
  };
}
