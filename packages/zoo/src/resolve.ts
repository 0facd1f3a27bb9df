import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ManifestError, ModelNotBuiltError } from "./errors.js";
import { assertVariant } from "./families/registry.js";
import { loadManifest } from "./manifest.js";
import type { ModelManifest } from "./manifest.js";
import { modelPaths, sha256File } from "./store.js";

/** Where the trained (committed) families live: `packages/zoo/models/`. */
export const COMMITTED_MODEL_DIR = fileURLToPath(new URL("../models/", import.meta.url));

/** Environment variable that overrides the generated-model cache directory. */
export const MODEL_DIR_ENV = "FULCRUM_MODEL_DIR";

/**
 * The generated-model cache: `$FULCRUM_MODEL_DIR` when set, else `<repo>/.fulcrum/models` where
 * `<repo>` is the nearest ancestor of `cwd` holding `turbo.json` (else `cwd` itself).
 */
export function resolveModelDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const override = env[MODEL_DIR_ENV];
  if (override) return resolve(cwd, override);
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, "turbo.json"))) return join(dir, ".fulcrum", "models");
    const parent = dirname(dir);
    if (parent === dir) return join(resolve(cwd), ".fulcrum", "models");
    dir = parent;
  }
}

/** Options of {@link resolveVariant}. */
export interface ResolveVariantOptions {
  family: string;
  variant: string;
  /** Pixels per side. @default the family's default resolution */
  resolution?: number;
  /** Cache of generated families (see {@link resolveModelDir}). */
  modelDir: string;
  /** Directory of trained families. @default {@link COMMITTED_MODEL_DIR} */
  trainedModelDir?: string;
  /** Also check the file's sha256 against the manifest (reads the whole file). @default false */
  verifySha256?: boolean;
}

/** A model file on disk and its validated manifest. */
export interface ResolvedVariant {
  path: string;
  manifest: ModelManifest;
}

/**
 * Finds a built variant. Throws `UnknownFamilyError`/`UnknownVariantError` for names the zoo does not
 * know, `ModelNotBuiltError` when the files are absent, and `ManifestError` when the manifest does
 * not describe the file next to it.
 */
export function resolveVariant(options: ResolveVariantOptions): ResolvedVariant {
  const info = assertVariant(options.family, options.variant);
  const resolution = options.resolution ?? info.defaultResolution;
  const root = info.kind === "trained" ? (options.trainedModelDir ?? COMMITTED_MODEL_DIR) : options.modelDir;
  const paths = modelPaths(join(root, info.name), options.variant, resolution);
  const hint =
    info.kind === "trained"
      ? `run \`fulcrum zoo train ${info.name}\``
      : `run \`fulcrum zoo build --family ${info.name} --resolution ${resolution}\``;
  for (const p of [paths.manifest, paths.onnx]) {
    if (!existsSync(p)) throw new ModelNotBuiltError(info.name, options.variant, resolution, p, hint);
  }
  const manifest = loadManifest(paths.manifest);
  if (manifest.family !== info.name || manifest.variant !== options.variant || manifest.resolution !== resolution) {
    throw new ManifestError(paths.manifest, `describes ${manifest.family}/${manifest.variant} at ${manifest.resolution}, not ${info.name}/${options.variant} at ${resolution}`);
  }
  const size = statSync(paths.onnx).size;
  if (size !== manifest.sizeBytes) throw new ManifestError(paths.manifest, `${paths.onnx} has ${size} bytes, the manifest says ${manifest.sizeBytes}`);
  if (options.verifySha256 && sha256File(paths.onnx) !== manifest.sha256) {
    throw new ManifestError(paths.manifest, `${paths.onnx} does not match the manifest's sha256`);
  }
  return { path: paths.onnx, manifest };
}
