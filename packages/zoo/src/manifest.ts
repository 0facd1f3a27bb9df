import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ManifestError } from "./errors.js";

/** The symbolic batch dimension every zoo model declares first. */
export const BATCH_DIM = "N";

/** Shape and dtype of one model input or output; the batch dimension is `"N"`. */
export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: z.enum(["float32", "int64"]),
  shape: z.array(z.union([z.number().int().positive(), z.literal(BATCH_DIM)])).min(1),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

/** How a detector variant composes with the classifier that consumes its output. */
export const PipelineContractSchema = z.object({
  /** The detector emits the crop the classifier classifies. */
  role: z.literal("detector"),
  /** Family whose variants accept this model's output as their input. */
  feedsFamily: z.string(),
  /** Resolution (pixels per side) of those classifier variants. */
  feedsResolution: z.number().int().positive(),
  /** Plain-words description of the output tensor. */
  description: z.string(),
});
export type PipelineContract = z.infer<typeof PipelineContractSchema>;

/** How a trained variant was produced (absent for generated families). */
export const TrainingRecordSchema = z.object({
  dataset: z.string(),
  trainSamples: z.number().int().positive(),
  testSamples: z.number().int().positive(),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  learningRate: z.number().positive(),
  momentum: z.number().min(0).max(1),
  /** Wall time of training on the machine that trained it, in seconds (informational). */
  trainSeconds: z.number().nonnegative(),
  /** Mean training loss of the last epoch. */
  finalTrainLoss: z.number(),
});
export type TrainingRecord = z.infer<typeof TrainingRecordSchema>;

/**
 * Everything Fulcrum knows about one model file. Accuracy is a fraction in [0, 1]; where it comes
 * from is stated by `accuracySource` ("published" = borrowed from the literature for an
 * architecture whose weights here are synthetic; "measured" = evaluated here on held-out data).
 */
export const ModelManifestSchema = z.object({
  schemaVersion: z.literal(1),
  family: z.string().min(1),
  variant: z.string().min(1),
  /** ONNX file name, relative to the manifest's directory. */
  file: z.string().min(1),
  description: z.string(),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  /** Accuracy as a fraction in [0, 1] (top-1, or mAP@0.5 for detectors). */
  accuracy: z.number().min(0).max(1),
  accuracyMetric: z.enum(["top1", "mAP@0.5"]),
  accuracySource: z.enum(["published", "measured"]),
  /** Where the number comes from, in words. */
  accuracyReference: z.string(),
  /** Learned parameters (float32 weights). */
  params: z.number().int().nonnegative(),
  /** Floating-point operations per sample (2 × multiply-accumulates of conv/dense layers). */
  flops: z.number().nonnegative(),
  /** sha256 of the ONNX file, lower-case hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().positive(),
  /** Input resolution in pixels per side. */
  resolution: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  /** Bumped whenever a builder changes its output for the same options (invalidates build caches). */
  generatorVersion: z.number().int().positive(),
  opset: z.number().int().positive(),
  pipeline: PipelineContractSchema.optional(),
  training: TrainingRecordSchema.optional(),
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** Lower-case hex sha256 of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Parses and validates manifest JSON text; `path` only names the source in errors. */
export function parseManifest(text: string, path: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(path, "not valid JSON", { cause });
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ManifestError(path, issues, { cause: parsed.error });
  }
  return parsed.data;
}

/** Reads and validates a manifest file. */
export function loadManifest(path: string): ModelManifest {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ManifestError(path, "cannot be read", { cause });
  }
  return parseManifest(text, path);
}

/** Serialises a manifest deterministically (stable key order from the schema, trailing newline). */
export function formatManifest(manifest: ModelManifest): string {
  return `${JSON.stringify(ModelManifestSchema.parse(manifest), null, 2)}\n`;
}
