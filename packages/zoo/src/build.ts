import { join } from "node:path";
import { ZooOptionError } from "./errors.js";
import { assertVariant } from "./families/registry.js";
import { buildResnet, RESNET_GENERATOR_VERSION } from "./families/resnet.js";
import type { ResnetVariant } from "./families/resnet.js";
import type { BuiltModel } from "./families/types.js";
import { buildYolo, YOLO_GENERATOR_VERSION } from "./families/yolo.js";
import type { YoloVariant } from "./families/yolo.js";
import type { ModelManifest } from "./manifest.js";
import { findCachedModel, modelPaths, writeModel } from "./store.js";

/** Weight seed used when none is given. */
export const DEFAULT_SEED = 1;

/** Options of a generated-family build. */
export interface BuildModelOptions {
  /** `resnet` or `yolo` (the `fashion` family is trained, see `trainFashionVariant`). */
  family: string;
  variant: string;
  /** Pixels per side (yolo: the crop it emits; its input is twice that). @default the family's default */
  resolution?: number;
  /** Weight seed. @default 1 */
  seed?: number;
}

interface CompiledBuild {
  family: "resnet" | "yolo";
  variant: string;
  resolution: number;
  seed: number;
  generatorVersion: number;
}

function compileBuild(options: BuildModelOptions): CompiledBuild {
  const info = assertVariant(options.family, options.variant);
  if (info.kind !== "generated" || (info.name !== "resnet" && info.name !== "yolo")) {
    throw new ZooOptionError("family", `"${info.name}" is a trained family: train it with \`fulcrum zoo train ${info.name}\` instead of building it`);
  }
  const resolution = options.resolution ?? info.defaultResolution;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ZooOptionError("seed", `must be an integer in [0, 2^32), got ${seed}`);
  if (info.name === "resnet") {
    if (!Number.isInteger(resolution) || resolution < 32 || resolution > 512) {
      throw new ZooOptionError("resolution", `resnet needs an integer resolution in [32, 512], got ${resolution}`);
    }
  } else if (!Number.isInteger(resolution) || resolution < 16 || resolution > 320 || resolution % 16 !== 0) {
    // The detector input (2R) must be divisible by YOLOv5's total stride of 32.
    throw new ZooOptionError("resolution", `yolo needs a resolution that is a multiple of 16 in [16, 320], got ${resolution}`);
  }
  const generatorVersion = info.name === "resnet" ? RESNET_GENERATOR_VERSION : YOLO_GENERATOR_VERSION;
  return { family: info.name, variant: options.variant, resolution, seed, generatorVersion };
}

/** Builds a generated model in memory. Same options → byte-identical bytes. */
export function buildGeneratedModel(options: BuildModelOptions): BuiltModel {
  const c = compileBuild(options);
  const opts = { resolution: c.resolution, seed: c.seed };
  return c.family === "resnet" ? buildResnet(c.variant as ResnetVariant, opts) : buildYolo(c.variant as YoloVariant, opts);
}

/** Options of {@link ensureGeneratedModel}. */
export interface EnsureModelOptions extends BuildModelOptions {
  /** Root of the model cache; the model goes to `<modelDir>/<family>/`. */
  modelDir: string;
  /** Rebuild even when an identical model is cached. @default false */
  force?: boolean;
}

/** Outcome of {@link ensureGeneratedModel}. */
export interface EnsuredModel {
  path: string;
  manifest: ModelManifest;
  /** True when the cached file matched and nothing was built. */
  cached: boolean;
}

/**
 * Returns the model from the build cache when a manifest with the same build parameters exists and
 * the file's sha256 matches it; otherwise builds and writes it.
 */
export function ensureGeneratedModel(options: EnsureModelOptions): EnsuredModel {
  const c = compileBuild(options);
  const familyDir = join(options.modelDir, c.family);
  if (!options.force) {
    const hit = findCachedModel(familyDir, c);
    if (hit) return { path: modelPaths(familyDir, c.variant, c.resolution).onnx, manifest: hit, cached: true };
  }
  const built = buildGeneratedModel(options);
  const paths = writeModel(familyDir, built);
  return { path: paths.onnx, manifest: built.manifest, cached: false };
}

/**
 * Resolution at which `npm run setup` pre-builds the generated families for tests (small, so
 * every variant runs in milliseconds).
 */
export const ZOO_TEST_RESOLUTION = 32;
