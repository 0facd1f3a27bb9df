import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createPerfModel } from "@fulcrum/core/perf";
import { describe, expect, it } from "vitest";
import { capacityServicePerf, parseCapacityCsv } from "./infadapter-capacity.js";
import { combinePerfModels, scaledPerfModel } from "./perf-models.js";
import { parseLatencyGridCsv } from "./sponge-grid.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

describe("InfAdapter's capacity CSV as service times", () => {
  const rows = parseCapacityCsv(readFileSync(`${ROOT}data/infadapter/capacity-resnet.csv`, "utf8"));

  it("reads all 400 rows of the committed CSV", () => {
    expect(rows).toHaveLength(400);
    expect(rows[1]).toEqual({ variant: "resnet18", cores: 1, slaMs: 750, capacityRps: 19, saturationRps: 22 });
  });

  it("serves a request in 1000/μ ms with μ the largest rate measured for (variant, cores), batches linearly", () => {
    const perf = capacityServicePerf(rows);
    const mu = Math.max(...rows.filter((r) => r.variant === "resnet18" && r.cores === 20).flatMap((r) => [r.capacityRps, r.saturationRps ?? 0]));
    expect(mu).toBe(473);
    expect(perf.latency("resnet18", 1, 20)).toEqual({ latencyMs: 1000 / 473, source: "measured", outsideMeasuredRange: false });
    expect(perf.latency("resnet18", 4, 20).latencyMs).toBeCloseTo(4000 / 473, 12);
    expect(perf.latency("resnet18", 4, 20).outsideMeasuredRange).toBe(true);
    expect(() => perf.latency("resnet18", 1, 21)).toThrow(/no positive rate for "resnet18" at 21 cores/);
    expect(() => perf.latency("resnet9", 1, 1)).toThrow(/unknown variant "resnet9"/);
  });

  it("names the line and column of a bad cell", () => {
    const header = "REPLICA,HARDWARE,CPU,MEM,ARCH,BATCH,NUM_BATCH_THREADS,MAX_ENQUEUED_BATCHES,INTRA_OP_PARALLELISM,INTER_OP_PARALLELISM,SLA,p99_latency,capacity,saturation_tp,timestamp";
    expect(() => parseCapacityCsv(`${header}\n1,cpu,x,1G,18,1,1,1,1,1,750,1,19,22,t`)).toThrow(/line 2\.CPU: "x" is not a number/);
    expect(() => parseCapacityCsv("a,b\n1,2")).toThrow(/no column "CPU"/);
  });
});

describe("latency grid and derived models", () => {
  it("reads Sponge's 30-point grid and names a bad row", () => {
    const grid = parseLatencyGridCsv(readFileSync(`${ROOT}data/sponge/yolov5-grid.csv`, "utf8"));
    expect(grid).toHaveLength(30);
    expect(grid[0]).toEqual({ batch: 1, cores: 1, latencyMs: 45.993 });
    expect(() => parseLatencyGridCsv("batch,cores,latency_ms\n1,0,5")).toThrow(/line 2/);
    expect(() => parseLatencyGridCsv("b,c,l\n1,1,5")).toThrow(/header/);
  });

  it("scales and combines perf models", () => {
    const base = createPerfModel({ n: { fit: { gammaMs: 10, deltaMs: 1, epsilonMs: 0, etaMs: 0 } } });
    const scaled = scaledPerfModel(base, "n", { s: 2.5 });
    expect(scaled.latency("s", 2, 1).latencyMs).toBe(2.5 * base.latency("n", 2, 1).latencyMs);
    expect(scaled.latency("s", 2, 1).outsideMeasuredRange).toBe(true);
    const other = createPerfModel({ r: { fit: { gammaMs: 0, deltaMs: 3, epsilonMs: 0, etaMs: 0 } } });
    const both = combinePerfModels([scaled, other]);
    expect(both.variants()).toEqual(["n", "s", "r"]);
    expect(both.latency("r", 2, 4).latencyMs).toBe(6);
    expect(() => combinePerfModels([base, base])).toThrow(/answered by two perf models/);
    expect(() => scaledPerfModel(base, "n", { s: 0 })).toThrow(/scale factor of "s"/);
  });
});
