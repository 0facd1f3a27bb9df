import type { ModelManifest } from "../manifest.js";

/** Options of a generated (synthetic-weight) model build. */
export interface GeneratedBuildOptions {
  /** Input resolution in pixels per side (for `yolo`: the classifier crop size it emits). */
  resolution: number;
  /** Weight seed; the same seed always gives byte-identical files. */
  seed: number;
}

/** An encoded ONNX model plus its manifest (whose `sha256` is of `bytes`). */
export interface BuiltModel {
  bytes: Uint8Array;
  manifest: ModelManifest;
}
