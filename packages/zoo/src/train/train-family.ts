import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FashionMnist } from "../data/fashion-mnist.js";
import { UnknownVariantError } from "../errors.js";
import { FASHION_RESOLUTION, FASHION_TRAIN_SAMPLES, FASHION_VARIANTS, fashionArchitecture } from "../families/fashion-architectures.js";
import type { ModelManifest, TrainingRecord } from "../manifest.js";
import { readFloatInitializers } from "../onnx/graph-builder.js";
import { findCachedModel, modelPaths, writeModel } from "../store.js";
import type { FashionWeights } from "./fashion-graphs.js";
import { FASHION_GENERATOR_VERSION, trainFashionVariant } from "./trainer.js";
import type { TrainProgress } from "./trainer.js";

/** Options of {@link trainFashionFamily}. */
export interface TrainFashionFamilyOptions {
  data: FashionMnist;
  /** Models go to `<outDir>/fashion/`. */
  outDir: string;
  /** @default 1 */
  seed?: number;
  /** Variants to train. @default all */
  variants?: readonly string[];
  /** ORT intra-op threads. @default 1 */
  intraOpThreads?: number;
  /** Overrides every variant's epoch count. */
  epochs?: number;
  /** Train on the first `trainLimit` training images only. @default all */
  trainLimit?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Called after each variant is trained, evaluated and written. */
  onVariantDone?: (manifest: ModelManifest) => void;
}

/**
 * True when `manifest` is the full-recipe training of its variant with this seed, i.e. what
 * `fulcrum zoo train` would produce; shortened runs (--epochs, --train-limit) are not.
 */
export function isFullRecipe(manifest: ModelManifest, seed: number): boolean {
  const arch = fashionArchitecture(manifest.variant);
  return (
    arch !== undefined &&
    manifest.seed === seed &&
    manifest.generatorVersion === FASHION_GENERATOR_VERSION &&
    manifest.training?.epochs === arch.epochs &&
    manifest.training.trainSamples === FASHION_TRAIN_SAMPLES
  );
}

/**
 * Trains, evaluates and writes the fashion variants, one after another. A variant that reuses
 * another's weights (test-time augmentation) takes them from this run, or from the base's
 * full-recipe file already in `outDir`, and trains the base recipe itself only when neither exists.
 */
export async function trainFashionFamily(options: TrainFashionFamilyOptions): Promise<ModelManifest[]> {
  const variants = options.variants ?? FASHION_VARIANTS;
  for (const v of variants) if (!FASHION_VARIANTS.includes(v)) throw new UnknownVariantError("fashion", v, FASHION_VARIANTS);
  const seed = options.seed ?? 1;
  const familyDir = join(options.outDir, "fashion");
  const shortened = options.epochs !== undefined || options.trainLimit !== undefined;
  const trained = new Map<string, { weights: FashionWeights; training: TrainingRecord }>();
  const manifests: ModelManifest[] = [];
  for (const variant of variants) {
    const base = fashionArchitecture(variant)?.base;
    let baseWeights = base ? trained.get(base) : undefined;
    if (base && !baseWeights && !shortened) {
      const cached = findCachedModel(familyDir, { family: "fashion", variant: base, resolution: FASHION_RESOLUTION, seed, generatorVersion: FASHION_GENERATOR_VERSION });
      if (cached?.training && isFullRecipe(cached, seed)) {
        const weights = readFloatInitializers(readFileSync(modelPaths(familyDir, base, FASHION_RESOLUTION).onnx));
        baseWeights = { weights, training: cached.training };
      }
    }
    const model = await trainFashionVariant({
      variant,
      data: options.data,
      seed,
      intraOpThreads: options.intraOpThreads ?? 1,
      ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
      ...(options.trainLimit === undefined ? {} : { trainLimit: options.trainLimit }),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(baseWeights ? { baseWeights } : {}),
    });
    if (model.manifest.training) trained.set(variant, { weights: model.weights, training: model.manifest.training });
    writeModel(familyDir, model);
    manifests.push(model.manifest);
    options.onVariantDone?.(model.manifest);
  }
  return manifests;
}
