import { FulcrumError } from "@fulcrum/core";
/**
 * Typed errors of the model zoo. Each carries the context a caller needs to explain the failure
 * (family, variant, file) and never leaks a bare string.
 */

/** A family name that the zoo does not know. */
export class UnknownFamilyError extends FulcrumError {
  readonly family: string;
  readonly knownFamilies: readonly string[];
  constructor(family: string, knownFamilies: readonly string[], options?: { cause?: unknown }) {
    super("ZOO_UNKNOWN_FAMILY", "not-found", `unknown model family "${family}" (known families: ${knownFamilies.join(", ")})`, options);
    this.name = "UnknownFamilyError";
    this.family = family;
    this.knownFamilies = knownFamilies;
  }
}

/** A variant name that does not exist in a known family. */
export class UnknownVariantError extends FulcrumError {
  readonly family: string;
  readonly variant: string;
  readonly knownVariants: readonly string[];
  constructor(family: string, variant: string, knownVariants: readonly string[], options?: { cause?: unknown }) {
    super("ZOO_UNKNOWN_VARIANT", "not-found", `unknown variant "${variant}" of model family "${family}" (known variants: ${knownVariants.join(", ")})`, options);
    this.name = "UnknownVariantError";
    this.family = family;
    this.variant = variant;
    this.knownVariants = knownVariants;
  }
}

/** A known variant whose ONNX file or manifest is not (or not completely) on disk. */
export class ModelNotBuiltError extends FulcrumError {
  readonly family: string;
  readonly variant: string;
  readonly resolution: number;
  readonly path: string;
  constructor(
    family: string,
    variant: string,
    resolution: number,
    path: string,
    hint: string,
    options?: { cause?: unknown },
  ) {
    super("ZOO_MODEL_NOT_BUILT", "failed-precondition", `model ${family}/${variant} at resolution ${resolution} is not built: ${path} is missing (${hint})`, options);
    this.name = "ModelNotBuiltError";
    this.family = family;
    this.variant = variant;
    this.resolution = resolution;
    this.path = path;
  }
}

/** A manifest file that is unreadable, not JSON, fails the schema, or does not match its ONNX file. */
export class ManifestError extends FulcrumError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super("ZOO_MANIFEST_INVALID", "invalid-argument", `invalid model manifest ${path}: ${reason}`, options);
    this.name = "ManifestError";
    this.path = path;
  }
}

/** A dataset file that is missing, not gzip, or not a well-formed IDX file of the expected kind. */
export class DatasetError extends FulcrumError {
  readonly file: string;
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super("ZOO_DATASET_INVALID", "failed-precondition", `dataset file ${file}: ${reason}`, options);
    this.name = "DatasetError";
    this.file = file;
  }
}

/** Options that cannot produce a model (bad resolution, seed, epochs…). */
export class ZooOptionError extends FulcrumError {
  readonly option: string;
  constructor(option: string, reason: string, options?: { cause?: unknown }) {
    super("ZOO_OPTION_INVALID", "invalid-argument", `invalid zoo option ${option}: ${reason}`, options);
    this.name = "ZooOptionError";
    this.option = option;
  }
}
