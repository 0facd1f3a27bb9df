import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { DatasetError } from "../errors.js";
import { FASHION_MNIST_DEFAULT_DIR, gatherPixels, loadFashionMnist, readIdxImages, readIdxLabels } from "./fashion-mnist.js";

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "zoo-data-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function idxHeader(words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w, i * 4));
  return b;
}

describe("Fashion-MNIST loader", () => {
  it("loads 60k training and 10k test images with labels 0–9 and scales pixels to [0, 1]", () => {
    const { train, test } = loadFashionMnist();
    expect(train.count).toBe(60_000);
    expect(test.count).toBe(10_000);
    expect(train.pixels.length).toBe(60_000 * 784);
    const counts = new Array<number>(10).fill(0);
    for (const l of test.labels) counts[l] = (counts[l] as number) + 1;
    expect(counts).toEqual(new Array(10).fill(1000));
    const batch = gatherPixels(test, [0, 1]);
    expect(batch.length).toBe(2 * 784);
    expect(Math.max(...batch)).toBeLessThanOrEqual(1);
    expect(Math.max(...batch)).toBeGreaterThan(0.5);
  });

  it("names a missing file", () => {
    const dir = scratch();
    expect(() => loadFashionMnist(dir)).toThrow(`dataset file ${join(dir, "train-images-idx3-ubyte.gz")}: cannot be read`);
    expect(() => loadFashionMnist(dir)).toThrow(/cannot be read \(install the Debian package dataset-fashion-mnist/);
  });

  it("names a corrupt (non-gzip) file", () => {
    const dir = scratch();
    for (const f of ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]) {
      copyFileSync(join(FASHION_MNIST_DEFAULT_DIR, f), join(dir, f));
    }
    const bad = join(dir, "t10k-labels-idx1-ubyte.gz");
    writeFileSync(bad, "this is not gzip");
    let caught: unknown;
    try {
      loadFashionMnist(dir);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DatasetError);
    expect((caught as DatasetError).file).toBe(bad);
    expect((caught as Error).message).toBe(`dataset file ${bad}: is not a valid gzip file (corrupt or truncated download?)`);
  });

  it("rejects wrong magic numbers, truncated payloads and out-of-range labels, naming the file", () => {
    const dir = scratch();
    const f = join(dir, "x.gz");
    writeFileSync(f, gzipSync(idxHeader([0x801, 2])));
    expect(() => readIdxImages(f)).toThrow(`dataset file ${f}: has 8 bytes, fewer than an IDX image header`);
    writeFileSync(f, gzipSync(idxHeader([0x801, 1, 28, 28])));
    expect(() => readIdxImages(f)).toThrow(`dataset file ${f}: has IDX magic 0x00000801, expected 0x00000803 (3-D unsigned bytes)`);
    writeFileSync(f, gzipSync(Buffer.concat([idxHeader([0x803, 2, 28, 28]), Buffer.alloc(784)])));
    expect(() => readIdxImages(f)).toThrow(`dataset file ${f}: has ${16 + 784} bytes, expected ${16 + 2 * 784} for 2 images`);
    writeFileSync(f, gzipSync(Buffer.concat([idxHeader([0x801, 2]), Buffer.from([3, 12])])));
    expect(() => readIdxLabels(f)).toThrow(`dataset file ${f}: label 1 is 12, outside 0–9`);
  });
});
