import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseProfileJson } from "@fulcrum/core/perf";
import { describe, expect, it } from "vitest";
import { ipaBaseAllocation } from "./base-allocation.js";
import { baseVariant, latencyRatios, stageModels } from "./stage-profiles.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const files = new Map(["profiles/yolo.json", "profiles/resnet.json", "data/sponge/yolov5-grid.csv"].map((f) => [f, readFileSync(`${ROOT}${f}`, "utf8")]));

describe("stage profiles", () => {
  it("takes the median latency ratio to the base variant over shared measured points", () => {
    const yolo = parseProfileJson(files.get("profiles/yolo.json")!);
    const r = latencyRatios(yolo, "yolov5n", ["yolov5n", "yolov5x"]);
    const n = yolo.variants.find((v) => v.name === "yolov5n")!.points;
    const x = yolo.variants.find((v) => v.name === "yolov5x")!.points;
    const ratios = x.map((p, i) => p.p50Ms! / n[i]!.p50Ms!).sort((a, b) => a - b);
    expect(r).toEqual({ yolov5x: (ratios[4]! + ratios[5]!) / 2 });
  });

  it("measured: lognormal spread from the measured p50 and p99, planning at the chosen statistic", () => {
    const m = stageModels({ source: "measured", file: "profiles/resnet.json", planningStatistic: "p99" }, ["resnet18@a"], files, "k");
    expect(m.variants).toEqual([{ name: "resnet18@a", accuracy: 0.69758, loadTimeMs: 186 }]);
    expect(m.planning.latency("resnet18@a", 1, 1).latencyMs).toBe(9.312);
    expect(m.median.latency("resnet18@a", 1, 1).latencyMs).toBe(6.058);
    expect(m.p99!.latency("resnet18@a", 1, 1).latencyMs).toBe(9.312);
    expect(baseVariant("resnet18@a")).toBe("resnet18");
  });

  it("sponge-grid needs a measured profile to scale variants the grid does not measure", () => {
    expect(() => stageModels({ source: "sponge-grid", file: "data/sponge/yolov5-grid.csv", variant: "yolov5n" }, ["yolov5n", "yolov5s"], files, "k")).toThrow(/scaleFrom/);
    const m = stageModels({ source: "sponge-grid", file: "data/sponge/yolov5-grid.csv", variant: "yolov5n" }, ["yolov5n"], files, "k");
    expect(m.p99).toBeUndefined();
    expect(m.variants).toEqual([{ name: "yolov5n", accuracy: 0.457 }]);
  });
});

describe("ipaBaseAllocation", () => {
  it("gives each variant the fewest cores reaching the threshold in budget, never fewer than a less accurate one", () => {
    const m = stageModels({ source: "sponge-grid", file: "data/sponge/yolov5-grid.csv", variant: "yolov5n", scaleFrom: "profiles/yolo.json" }, ["yolov5n", "yolov5s", "yolov5m", "yolov5l", "yolov5x"], files, "k");
    const [stage] = ipaBaseAllocation([{ name: "d", variants: m.variants }], m.planning, { maxCores: 64, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8, 16], maxReplicas: 10 }, 4, 3445);
    const cores = stage!.variants.map((v) => v.baseCoresPerReplica!);
    for (let i = 1; i < cores.length; i++) expect(cores[i]!).toBeGreaterThanOrEqual(cores[i - 1]!);
    // yolov5n: 46 ms alone on one core = 21.7 rps ≥ 4.
    expect(cores[0]).toBe(1);
    for (const [i, v] of stage!.variants.entries()) {
      const c = cores[i]!;
      const ok = [1, 2, 4, 8].some((b) => { const l = m.planning.latency(v.name, b, c).latencyMs; return l <= 3445 && (1000 * b) / l >= 4; });
      expect(ok || c === 16).toBe(true);
    }
  });
});
