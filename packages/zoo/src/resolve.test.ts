import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureGeneratedModel } from "./build.js";
import { ManifestError, ModelNotBuiltError, UnknownFamilyError, UnknownVariantError, ZooOptionError } from "./errors.js";
import { familyVariants, listFamilies } from "./families/registry.js";
import { loadManifest } from "./manifest.js";
import { resolveModelDir, resolveVariant } from "./resolve.js";
import { modelPaths } from "./store.js";

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "zoo-resolve-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("family registry", () => {
  it("lists three families with at least four variants each", () => {
    expect(listFamilies().map((f) => f.name)).toEqual(["resnet", "yolo", "fashion"]);
    expect(familyVariants("resnet")).toEqual(["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]);
    expect(familyVariants("yolo")).toEqual(["yolov5n", "yolov5s", "yolov5m", "yolov5l", "yolov5x"]);
    expect(familyVariants("fashion").length).toBeGreaterThanOrEqual(4);
  });

  it("names an unknown family and an unknown variant", () => {
    expect(() => familyVariants("vgg")).toThrow(new UnknownFamilyError("vgg", ["resnet", "yolo", "fashion"]));
    expect(() => familyVariants("vgg")).toThrow('unknown model family "vgg" (known families: resnet, yolo, fashion)');
    expect(() => resolveVariant({ family: "resnet", variant: "resnet19", modelDir: scratch() })).toThrow(UnknownVariantError);
    expect(() => resolveVariant({ family: "resnet", variant: "resnet19", modelDir: scratch() })).toThrow(
      'unknown variant "resnet19" of model family "resnet" (known variants: resnet18, resnet34, resnet50, resnet101, resnet152)',
    );
  });
});

describe("build cache and resolveVariant", () => {
  it("builds once, then hits the cache; a corrupted file or another seed rebuilds", () => {
    const modelDir = scratch();
    const first = ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir });
    expect(first.cached).toBe(false);
    const second = ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir });
    expect(second).toEqual({ ...first, cached: true });
    writeFileSync(first.path, "garbage");
    expect(ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir }).cached).toBe(false);
    const reseeded = ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, seed: 2, modelDir });
    expect(reseeded.cached).toBe(false);
    expect(reseeded.manifest.sha256).not.toBe(first.manifest.sha256);
  });

  it("resolves a built variant to its file and manifest", () => {
    const modelDir = scratch();
    const built = ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir });
    const resolved = resolveVariant({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir, verifySha256: true });
    expect(resolved).toEqual({ path: built.path, manifest: built.manifest });
    expect(loadManifest(modelPaths(join(modelDir, "yolo"), "yolov5n", 16).manifest)).toEqual(built.manifest);
  });

  it("says how to build a variant that is not built", () => {
    const modelDir = scratch();
    const expected = join(modelDir, "resnet", "resnet50-r48.json");
    expect(() => resolveVariant({ family: "resnet", variant: "resnet50", resolution: 48, modelDir })).toThrow(ModelNotBuiltError);
    expect(() => resolveVariant({ family: "resnet", variant: "resnet50", resolution: 48, modelDir })).toThrow(
      `model resnet/resnet50 at resolution 48 is not built: ${expected} is missing (run \`fulcrum zoo build --family resnet --resolution 48\`)`,
    );
  });

  it("rejects a manifest that does not describe its file", () => {
    const modelDir = scratch();
    const built = ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir });
    writeFileSync(built.path, Buffer.alloc(10));
    expect(() => resolveVariant({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir })).toThrow(ManifestError);
    const manifestPath = modelPaths(join(modelDir, "yolo"), "yolov5n", 16).manifest;
    writeFileSync(manifestPath, "{ not json");
    expect(() => resolveVariant({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir })).toThrow(`invalid model manifest ${manifestPath}: not valid JSON`);
    writeFileSync(manifestPath, JSON.stringify({ schemaVersion: 1, family: "yolo" }));
    expect(() => resolveVariant({ family: "yolo", variant: "yolov5n", resolution: 16, modelDir })).toThrow(/variant: Invalid input/);
  });

  it("rejects resolutions a family cannot build and refuses to 'build' a trained family", () => {
    const modelDir = scratch();
    expect(() => ensureGeneratedModel({ family: "yolo", variant: "yolov5n", resolution: 24, modelDir })).toThrow(ZooOptionError);
    expect(() => ensureGeneratedModel({ family: "resnet", variant: "resnet18", resolution: 8, modelDir })).toThrow(
      "invalid zoo option resolution: resnet needs an integer resolution in [32, 512], got 8",
    );
    expect(() => ensureGeneratedModel({ family: "fashion", variant: "mlp", modelDir })).toThrow(/trained family: train it with `fulcrum zoo train fashion`/);
  });
});

describe("resolveModelDir", () => {
  it("prefers FULCRUM_MODEL_DIR, else finds the repo root by turbo.json", () => {
    const root = scratch();
    writeFileSync(join(root, "turbo.json"), "{}");
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    expect(resolveModelDir({}, deep)).toBe(join(root, ".fulcrum", "models"));
    expect(resolveModelDir({ FULCRUM_MODEL_DIR: "rel/models" }, deep)).toBe(join(deep, "rel", "models"));
  });
});
