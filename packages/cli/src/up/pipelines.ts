import { existsSync } from "node:fs";
import { join } from "node:path";
import { familyVariants, resolveModelDir, resolveVariant } from "@fulcrum/zoo";

/** A pipeline `fulcrum up` knows how to run end to end (single stage). */
export interface UpPipeline {
  readonly key: "fashion" | "resnet";
  readonly stage: string;
  readonly family: string;
  /** Variant the replicas serve before the first assignment. */
  readonly initialVariant: string;
  /** Input tensor name and shape without the batch dimension. */
  readonly inputName: string;
  readonly inputShape: readonly number[];
  readonly sloMs: number;
  /** Optimizer pipeline spec (YAML). */
  readonly specFile: string;
  /** Accuracy per variant, from the zoo manifests (for the gateway's accuracy metric). */
  readonly accuracies: Readonly<Record<string, number>>;
}

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
  if (key === "fashion") {
    const variants = ["linear", "mlp", "cnn-small", "cnn-deep", "cnn-deep-tta"];
    return { key, stage: "classifier", family: "fashion", initialVariant: "linear", inputName: "input", inputShape: [1, 28, 28], sloMs: 200, specFile: spec("fashion.yaml"), accuracies: accuracies("fashion", variants) };
  }
  if (key === "resnet") {
    const variants = familyVariants("resnet");
    const acc = accuracies("resnet", variants);
    if (!("resnet18" in acc) || !existsSync(spec("resnet-local.yaml"))) {
      return { error: "the resnet models are not built at the default resolution: run `npm run fulcrum -- zoo build --family resnet` first (or use --pipeline fashion)" };
    }
    return { key, stage: "classifier", family: "resnet", initialVariant: "resnet18", inputName: "input", inputShape: [3, 64, 64], sloMs: 200, specFile: spec("resnet-local.yaml"), accuracies: acc };
  }
  return { error: `unknown pipeline "${key}" (known: fashion, resnet)` };
}
