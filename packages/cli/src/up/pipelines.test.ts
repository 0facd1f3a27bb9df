import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { upPipeline } from "./pipelines.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

interface Spec {
  stages: Array<{ name: string; variants: Array<{ name: string; accuracy: number; perf?: { measured: Array<{ batch: number; cores: number; latencyMs: number }>; fit: Record<string, number> } }> }>;
}
const readSpec = (file: string): Spec => parse(readFileSync(file, "utf8")) as Spec;

describe("upPipeline", () => {
  it("runs the committed fashion family with the optimizer spec whose accuracies match the manifests", () => {
    const p = upPipeline("fashion", ROOT, {});
    if ("error" in p) throw new Error(p.error);
    expect(p).toMatchObject({ stage: "classifier", family: "fashion", initialVariant: "linear", inputDatatype: "FP32", inputShape: [1, 28, 28] });
    expect(p.front).toBeUndefined();
    const spec = readSpec(p.specFile);
    const inSpec = Object.fromEntries(spec.stages[0]!.variants.map((v) => [v.name, v.accuracy]));
    expect(inSpec).toEqual(p.accuracies);
  });

  it("puts the example stage in front of the fashion classifier, with the latency the benchmark measured", () => {
    const p = upPipeline("fashion-preprocessed", ROOT, {});
    if ("error" in p) throw new Error(p.error);
    expect(p).toMatchObject({ stage: "classifier", inputName: "image", inputDatatype: "UINT8", inputShape: [64, 64, 3] });
    expect(p.front).toMatchObject({ stage: "preprocess", entry: join("examples", "custom-stage", "dist", "main.js"), variant: "bilinear", env: { FULCRUM_STAGE_OUTPUT_NAME: "input" } });
    const spec = readSpec(p.specFile);
    expect(spec.stages.map((s) => s.name)).toEqual(["preprocess", "classifier"]);
    const all = Object.fromEntries(spec.stages.flatMap((s) => s.variants.map((v) => [v.name, v.accuracy])));
    expect(all).toEqual(p.accuracies);
    const [pre] = spec.stages[0]!.variants;
    expect(spec.stages[0]!.variants).toHaveLength(1);
    // The spec's points are the benchmark's p99s, not numbers typed in.
    const bench = JSON.parse(readFileSync(join(ROOT, "bench", "results", "custom-stage.json"), "utf8")) as { points: Array<{ batch: number; p99Ms: number }>; fit: Record<string, number>; image: { shape: number[] } };
    expect(bench.image.shape).toEqual(p.inputShape);
    expect(pre!.perf!.measured).toEqual(bench.points.map((b) => ({ batch: b.batch, cores: 1, latencyMs: Math.round(b.p99Ms * 1000) / 1000 })));
    expect(pre!.perf!.fit).toEqual(bench.fit);
  });

  it("says how to build the example stage when it is not built", () => {
    const bare = mkdtempSync(join(tmpdir(), "fulcrum-up-pipelines-"));
    try {
      const p = upPipeline("fashion-preprocessed", bare, {});
      expect(p).toEqual({ error: expect.stringContaining("run `npm run setup` (or `npm ci && npm run build` in examples/custom-stage)") as unknown });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it("explains an unknown pipeline", () => {
    expect(upPipeline("video", ROOT, {})).toEqual({ error: 'unknown pipeline "video" (known: fashion, resnet, fashion-preprocessed)' });
  });
});
