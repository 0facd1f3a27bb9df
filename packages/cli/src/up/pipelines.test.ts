import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { upPipeline } from "./pipelines.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

describe("upPipeline", () => {
  it("runs the committed fashion family with the optimizer spec whose accuracies match the manifests", () => {
    const p = upPipeline("fashion", ROOT, {});
    if ("error" in p) throw new Error(p.error);
    expect(p).toMatchObject({ stage: "classifier", family: "fashion", initialVariant: "linear", inputShape: [1, 28, 28] });
    const spec = parse(readFileSync(p.specFile, "utf8")) as { stages: Array<{ name: string; variants: Array<{ name: string; accuracy: number }> }> };
    const inSpec = Object.fromEntries(spec.stages[0]!.variants.map((v) => [v.name, v.accuracy]));
    expect(inSpec).toEqual(p.accuracies);
  });

  it("explains an unknown pipeline", () => {
    expect(upPipeline("video", ROOT, {})).toEqual({ error: 'unknown pipeline "video" (known: fashion, resnet)' });
  });
});
