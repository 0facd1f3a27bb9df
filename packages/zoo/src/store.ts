import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readSync, closeSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BuiltModel } from "./families/types.js";
import { formatManifest, loadManifest } from "./manifest.js";
import type { ModelManifest } from "./manifest.js";

/** Files of one model inside its family directory. */
export interface ModelPaths {
  onnx: string;
  manifest: string;
}

/** `<familyDir>/<variant>-r<resolution>.onnx` and its `.json` manifest. */
export function modelPaths(familyDir: string, variant: string, resolution: number): ModelPaths {
  const stem = join(familyDir, `${variant}-r${resolution}`);
  return { onnx: `${stem}.onnx`, manifest: `${stem}.json` };
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  // A crashed or concurrent build never leaves a half-written file under the final name.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes a built model and then its manifest (the manifest's presence marks a complete model). */
export function writeModel(familyDir: string, built: BuiltModel): ModelPaths {
  mkdirSync(familyDir, { recursive: true });
  const paths = modelPaths(familyDir, built.manifest.variant, built.manifest.resolution);
  writeAtomically(paths.onnx, built.bytes);
  writeAtomically(paths.manifest, formatManifest(built.manifest));
  return paths;
}

/** sha256 of a file, streamed in 8 MiB chunks so 350 MB models do not need one big buffer. */
export function sha256File(path: string): string {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** What makes two builds of a model the same. */
export interface BuildKey {
  family: string;
  variant: string;
  resolution: number;
  seed: number;
  generatorVersion: number;
}

/**
 * The manifest of an already-built model matching `key`, or undefined when there is none, it was
 * built with other parameters, or its ONNX file does not hash to the manifest's sha256.
 */
export function findCachedModel(familyDir: string, key: BuildKey): ModelManifest | undefined {
  const paths = modelPaths(familyDir, key.variant, key.resolution);
  if (!existsSync(paths.manifest) || !existsSync(paths.onnx)) return undefined;
  let manifest: ModelManifest;
  try {
    manifest = loadManifest(paths.manifest);
  } catch {
    return undefined;
  }
  const same =
    manifest.family === key.family &&
    manifest.variant === key.variant &&
    manifest.resolution === key.resolution &&
    manifest.seed === key.seed &&
    manifest.generatorVersion === key.generatorVersion;
  if (!same || statSync(paths.onnx).size !== manifest.sizeBytes) return undefined;
  return sha256File(paths.onnx) === manifest.sha256 ? manifest : undefined;
}
