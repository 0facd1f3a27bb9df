import { existsSync } from "node:fs";
import { join } from "node:path";
import { familyVariants, resolveModelDir, resolveVariant } from "@fulcrum/zoo";

/** The pipelines `fulcrum up --pipeline` knows. */
export const UP_PIPELINES = ["fashion", "resnet", "fashion-preprocessed"] as const;
export type UpPipelineKey = (typeof UP_PIPELINES)[number];

/**
 * A stage in front of the model stage that the launcher runs itself, as one supervised process:
 * a stage written outside the workspace against the stage contract (docs/extending.md), which
 * follows Assignments (not the reconciler's placements), so the reconcile loop does not scale it.
 */
export interface FrontStage {
  /** Stage name (OIP model name, registry token). */
  readonly stage: string;
  /** Its program, relative to the repository root, run as `node <entry>`. */
  readonly entry: string;
  /** Its one variant. */
  readonly variant: string;
  /** Its own `FULCRUM_STAGE_*` settings (names, NATS and ports are the launcher's). */
  readonly env: Readonly<Record<string, string>>;
}

/** A pipeline `fulcrum up` knows how to run end to end: an elastic model stage, maybe a front stage. */
export interface UpPipeline {
  readonly key: UpPipelineKey;
  /** The model stage, whose replicas the reconcile loop (or `--replicas`) runs. */
  readonly stage: string;
  readonly family: string;
  /** Variant the replicas serve before the first assignment. */
  readonly initialVariant: string;
  /** A stage called before the model stage (its outputs feed the model stage's inputs by name). */
  readonly front?: FrontStage;
  /** The client's input tensor: name, OIP datatype and shape without the batch dimension. */
  readonly inputName: string;
  readonly inputDatatype: "FP32" | "UINT8";
  readonly inputShape: readonly number[];
  readonly sloMs: number;
  /** Optimizer pipeline spec (YAML). */
  readonly specFile: string;
  /** Accuracy per variant of every stage (zoo manifests; 1 for a front stage's transform), for the gateway's accuracy metric. */
  readonly accuracies: Readonly<Record<string, number>>;
}

/** The example stage of examples/custom-stage, as the `fashion-preprocessed` pipeline runs it. */
export const CUSTOM_STAGE_DIR = join("examples", "custom-stage");

/** The pipeline for `--pipeline`, or an explanation of why it cannot run here. */
export function upPipeline(key: string, repoRoot: string, env: Readonly<Record<string, string | undefined>>): UpPipeline | { error: string } {
  const modelDir = resolveModelDir(env, repoRoot);
  const accuracies = (family: string, variants: readonly string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const v of variants) {
      try {
        out[v] = resolveVariant({ family, variant: v, modelDir }).manifest.accuracy;
      } catch {
        // Unbuilt variants have no accuracy to report; the gateway's metric then says 0 for them.
      }
    }
    return out;
  };
  const spec = (name: string): string => join(repoRoot, "services", "optimizer", "examples", name);
  const fashionVariants = ["linear", "mlp", "cnn-small", "cnn-deep", "cnn-deep-tta"];
  if (key === "fashion") {
    return { key, stage: "classifier", family: "fashion", initialVariant: "linear", inputName: "input", inputDatatype: "FP32", inputShape: [1, 28, 28], sloMs: 200, specFile: spec("fashion.yaml"), accuracies: accuracies("fashion", fashionVariants) };
  }
  if (key === "fashion-preprocessed") {
    const entry = join(CUSTOM_STAGE_DIR, "dist", "main.js");
    if (!existsSync(join(repoRoot, entry)) || !existsSync(join(repoRoot, CUSTOM_STAGE_DIR, "node_modules"))) {
      return { error: `the example stage is not built (${entry} or its node_modules is missing): run \`npm run setup\` (or \`npm ci && npm run build\` in ${CUSTOM_STAGE_DIR})` };
    }
    return {
      key,
      stage: "classifier",
      family: "fashion",
      initialVariant: "linear",
      // RGB photos of any size in, resized to the classifier's 28 × 28 gray by the example stage.
      front: { stage: "preprocess", entry, variant: "bilinear", env: { FULCRUM_STAGE_CHANNELS: "3", FULCRUM_STAGE_OUTPUT_SIZE: "28", FULCRUM_STAGE_OUTPUT_NAME: "input" } },
      inputName: "image",
      inputDatatype: "UINT8",
      inputShape: [64, 64, 3],
      sloMs: 200,
      specFile: spec("fashion-preprocessed.yaml"),
      // Preprocessing is a fixed transform: it costs no accuracy of its own.
      accuracies: { bilinear: 1, ...accuracies("fashion", fashionVariants) },
    };
  }
  if (key === "resnet") {
    const variants = familyVariants("resnet");
    const acc = accuracies("resnet", variants);
    if (!("resnet18" in acc) || !existsSync(spec("resnet-local.yaml"))) {
      return { error: "the resnet models are not built at the default resolution: run `npm run fulcrum -- zoo build --family resnet` first (or use --pipeline fashion)" };
    }
    return { key, stage: "classifier", family: "resnet", initialVariant: "resnet18", inputName: "input", inputDatatype: "FP32", inputShape: [3, 64, 64], sloMs: 200, specFile: spec("resnet-local.yaml"), accuracies: acc };
  }
  return { error: `unknown pipeline "${key}" (known: ${UP_PIPELINES.join(", ")})` };
}
