import { UnknownFamilyError, UnknownVariantError } from "../errors.js";
import { FASHION_RESOLUTION, FASHION_VARIANTS } from "./fashion-architectures.js";
import { RESNET_DEFAULT_RESOLUTION, RESNET_VARIANTS } from "./resnet.js";
import { YOLO_DEFAULT_RESOLUTION, YOLO_VARIANTS } from "./yolo.js";

/** Names of the zoo's families. */
export const FAMILY_NAMES = ["resnet", "yolo", "fashion"] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** What the zoo knows about one family. */
export interface FamilyInfo {
  readonly name: FamilyName;
  /** `generated`: built on demand from seeded synthetic weights; `trained`: committed trained files. */
  readonly kind: "generated" | "trained";
  /** Variant names, smallest first. */
  readonly variants: readonly string[];
  /** Resolution (pixels per side) used when none is given. */
  readonly defaultResolution: number;
  readonly description: string;
}

const FAMILIES: Readonly<Record<FamilyName, FamilyInfo>> = {
  resnet: {
    name: "resnet",
    kind: "generated",
    variants: RESNET_VARIANTS,
    defaultResolution: RESNET_DEFAULT_RESOLUTION,
    description: "ResNet-18…152 image classifiers: real architectures, synthetic weights, published ImageNet top-1",
  },
  yolo: {
    name: "yolo",
    kind: "generated",
    variants: YOLO_VARIANTS,
    defaultResolution: YOLO_DEFAULT_RESOLUTION,
    description: "YOLOv5 n…x detector stages emitting a classifier crop: synthetic weights, published mAP@0.5",
  },
  fashion: {
    name: "fashion",
    kind: "trained",
    variants: FASHION_VARIANTS,
    defaultResolution: FASHION_RESOLUTION,
    description: "Fashion-MNIST classifiers trained by Fulcrum, accuracy measured on the 10k test split",
  },
};

/** All families, in a stable order. */
export function listFamilies(): FamilyInfo[] {
  return FAMILY_NAMES.map((n) => FAMILIES[n]);
}

/** A family by name; throws {@link UnknownFamilyError} naming it otherwise. */
export function getFamily(family: string): FamilyInfo {
  if (!(FAMILY_NAMES as readonly string[]).includes(family)) throw new UnknownFamilyError(family, FAMILY_NAMES);
  return FAMILIES[family as FamilyName];
}

/** The variants of a family, smallest first. */
export function familyVariants(family: string): readonly string[] {
  return getFamily(family).variants;
}

/** Checks that `variant` exists in `family`, throwing a typed error naming whichever is unknown. */
export function assertVariant(family: string, variant: string): FamilyInfo {
  const info = getFamily(family);
  if (!info.variants.includes(variant)) throw new UnknownVariantError(family, variant, info.variants);
  return info;
}
