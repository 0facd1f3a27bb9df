import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DatasetError } from "../errors.js";

/** Where Debian's `dataset-fashion-mnist` package installs the IDX files. */
export const FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

/** One split of Fashion-MNIST: `count` 28×28 images (row-major bytes) and their labels 0–9. */
export interface FashionSplit {
  readonly count: number;
  /** `count × 784` grey levels 0–255. */
  readonly pixels: Uint8Array;
  /** `count` class labels 0–9. */
  readonly labels: Uint8Array;
}

/** The two splits of Fashion-MNIST. */
export interface FashionMnist {
  readonly train: FashionSplit;
  readonly test: FashionSplit;
}

const IMAGE_MAGIC = 0x00000803;
const LABEL_MAGIC = 0x00000801;
const SIDE = 28;

function readGzip(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (cause) {
    throw new DatasetError(file, "cannot be read (install the Debian package dataset-fashion-mnist, or pass the directory that holds the IDX files)", { cause });
  }
  try {
    return gunzipSync(raw);
  } catch (cause) {
    throw new DatasetError(file, "is not a valid gzip file (corrupt or truncated download?)", { cause });
  }
}

/** Parses a gzip'ed IDX image file of 28×28 bytes; throws {@link DatasetError} naming the file. */
export function readIdxImages(file: string): { count: number; pixels: Uint8Array } {
  const buf = readGzip(file);
  if (buf.length < 16) throw new DatasetError(file, `has ${buf.length} bytes, fewer than an IDX image header`);
  const magic = buf.readUInt32BE(0);
  if (magic !== IMAGE_MAGIC) throw new DatasetError(file, `has IDX magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x00000803 (3-D unsigned bytes)`);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  if (rows !== SIDE || cols !== SIDE) throw new DatasetError(file, `holds ${rows}x${cols} images, expected ${SIDE}x${SIDE}`);
  const expected = 16 + count * SIDE * SIDE;
  if (buf.length !== expected) throw new DatasetError(file, `has ${buf.length} bytes, expected ${expected} for ${count} images`);
  return { count, pixels: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * SIDE * SIDE) };
}

/** Parses a gzip'ed IDX label file with labels 0–9; throws {@link DatasetError} naming the file. */
export function readIdxLabels(file: string): Uint8Array {
  const buf = readGzip(file);
  if (buf.length < 8) throw new DatasetError(file, `has ${buf.length} bytes, fewer than an IDX label header`);
  const magic = buf.readUInt32BE(0);
  if (magic !== LABEL_MAGIC) throw new DatasetError(file, `has IDX magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x00000801 (1-D unsigned bytes)`);
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count) throw new DatasetError(file, `has ${buf.length} bytes, expected ${8 + count} for ${count} labels`);
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 8, count);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) throw new DatasetError(file, `label ${bad} is ${labels[bad]}, outside 0–9`);
  return labels;
}

function readSplit(dir: string, prefix: "train" | "t10k"): FashionSplit {
  const imageFile = join(dir, `${prefix}-images-idx3-ubyte.gz`);
  const labelFile = join(dir, `${prefix}-labels-idx1-ubyte.gz`);
  const { count, pixels } = readIdxImages(imageFile);
  const labels = readIdxLabels(labelFile);
  if (labels.length !== count) throw new DatasetError(labelFile, `holds ${labels.length} labels but ${imageFile} holds ${count} images`);
  return { count, pixels, labels };
}

/** Loads both splits from `dir` (the four `*-idx?-ubyte.gz` files). */
export function loadFashionMnist(dir: string = FASHION_MNIST_DEFAULT_DIR): FashionMnist {
  return { train: readSplit(dir, "train"), test: readSplit(dir, "t10k") };
}

/** Copies images `indices` of a split into a `[n,1,28,28]` float32 batch scaled to [0, 1]. */
export function gatherPixels(split: FashionSplit, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const size = SIDE * SIDE;
  const batch = out ?? new Float32Array(indices.length * size);
  for (let j = 0; j < indices.length; j++) {
    const src = (indices[j] as number) * size;
    const dst = j * size;
    for (let k = 0; k < size; k++) batch[dst + k] = (split.pixels[src + k] as number) / 255;
  }
  return batch;
}
