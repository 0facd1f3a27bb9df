import { beforeAll, describe, expect, it } from "vitest";
import { buildGeneratedModel, ensureGeneratedModel, ZOO_TEST_RESOLUTION } from "../build.js";
import { createZooSession, floatTensor } from "../ort/session.js";
import { resolveModelDir, resolveVariant } from "../resolve.js";
import type { ModelManifest } from "../manifest.js";
import { RESNET_VARIANTS } from "./resnet.js";
import { YOLO_VARIANTS } from "./yolo.js";

// Uses the shared build cache (what `npm run setup` fills), so a warm run only hashes files.
const modelDir = resolveModelDir(process.env, process.cwd());
const R = ZOO_TEST_RESOLUTION;

function concreteShape(shape: ModelManifest["inputs"][number]["shape"], batch: number): number[] {
  return shape.map((d) => (d === "N" ? batch : d));
}

function pseudoImage(count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
}

const cases = [...RESNET_VARIANTS.map((v) => ["resnet", v] as const), ...YOLO_VARIANTS.map((v) => ["yolo", v] as const)];

describe("generated families", () => {
  const manifests = new Map<string, ModelManifest>();
  beforeAll(() => {
    for (const [family, variant] of cases) manifests.set(`${family}/${variant}`, ensureGeneratedModel({ family, variant, resolution: R, modelDir }).manifest);
  }, 300_000);

  it.each(cases)("%s/%s loads in onnxruntime and runs batches 1 and 8 with finite outputs of the declared shape", async (family, variant) => {
    const { path, manifest } = resolveVariant({ family, variant, resolution: R, modelDir });
    const session = await createZooSession(path);
    try {
      const input = manifest.inputs[0];
      const output = manifest.outputs[0];
      if (!input || !output) throw new Error("manifest without tensors");
      expect(session.inputNames).toEqual([input.name]);
      expect(session.outputNames).toEqual([output.name]);
      for (const batch of [1, 8]) {
        const dims = concreteShape(input.shape, batch);
        const x = pseudoImage(dims.reduce((a, b) => a * b, 1));
        const out = (await session.run({ [input.name]: floatTensor(x, dims) }))[output.name];
        expect(out?.dims).toEqual(concreteShape(output.shape, batch));
        const data = out?.data as Float32Array;
        expect(data.every(Number.isFinite)).toBe(true);
        if (family === "yolo") {
          // A crop of the input frame: bilinear averages of input pixels stay inside the input's range.
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          expect(Math.min(...data)).toBeGreaterThanOrEqual(lo - 1e-5);
          expect(Math.max(...data)).toBeLessThanOrEqual(hi + 1e-5);
        } else if (batch > 1) {
          // Different images give different logits (the network is not degenerate).
          expect(Array.from(data.slice(0, 1000))).not.toEqual(Array.from(data.slice(1000, 2000)));
        }
      }
    } finally {
      await session.release();
    }
  });

  it("yolo's output is accepted as resnet's input at the same resolution (the detector → classifier contract)", async () => {
    const yolo = resolveVariant({ family: "yolo", variant: "yolov5n", resolution: R, modelDir });
    const resnet = resolveVariant({ family: "resnet", variant: "resnet18", resolution: R, modelDir });
    expect(yolo.manifest.pipeline).toMatchObject({ role: "detector", feedsFamily: "resnet", feedsResolution: R });
    expect(yolo.manifest.outputs[0]?.shape).toEqual(resnet.manifest.inputs[0]?.shape);
    const detector = await createZooSession(yolo.path);
    const classifier = await createZooSession(resnet.path);
    try {
      const frame = 2 * R;
      const crop = (await detector.run({ input: floatTensor(pseudoImage(4 * 3 * frame * frame), [4, 3, frame, frame]) })).crop;
      const logits = (await classifier.run({ input: crop as never })).logits;
      expect(logits?.dims).toEqual([4, 1000]);
    } finally {
      await detector.release();
      await classifier.release();
    }
  });

  it("yolo emits a square crop of its frame, side between a quarter and half of the frame", async () => {
    const { path } = resolveVariant({ family: "yolo", variant: "yolov5s", resolution: R, modelDir });
    const frame = 2 * R;
    // Channel 0 holds each pixel's column, channel 1 its row: the crop then reveals its own geometry.
    const x = new Float32Array(2 * 3 * frame * frame);
    for (let b = 0; b < 2; b++) {
      for (let r = 0; r < frame; r++) {
        for (let c = 0; c < frame; c++) {
          x[((b * 3 + 0) * frame + r) * frame + c] = c;
          x[((b * 3 + 1) * frame + r) * frame + c] = r;
          x[((b * 3 + 2) * frame + r) * frame + c] = b === 0 ? 0 : 0.5;
        }
      }
    }
    const session = await createZooSession(path);
    try {
      const crop = (await session.run({ input: floatTensor(x, [2, 3, frame, frame]) })).crop;
      const d = crop?.data as Float32Array;
      const at = (b: number, ch: number, r: number, c: number): number => d[((b * 3 + ch) * R + r) * R + c] as number;
      for (let b = 0; b < 2; b++) {
        const slopeX = (at(b, 0, 0, R - 1) - at(b, 0, 0, 0)) / (R - 1);
        const slopeY = (at(b, 1, R - 1, 0) - at(b, 1, 0, 0)) / (R - 1);
        // Each output pixel covers side/R input pixels; side ∈ [frame/4, frame/2] = [R/2, R].
        expect(slopeX).toBeGreaterThanOrEqual(0.5 - 1e-3);
        expect(slopeX).toBeLessThanOrEqual(1 + 1e-3);
        expect(slopeY).toBeCloseTo(slopeX, 3);
        expect(at(b, 0, R - 1, 3)).toBeCloseTo(at(b, 0, 0, 3), 3);
        expect(at(b, 0, 0, 0)).toBeGreaterThanOrEqual(0);
        expect(at(b, 0, 0, R - 1)).toBeLessThanOrEqual(frame - 1);
        expect(at(b, 2, 5, 5)).toBeCloseTo(b === 0 ? 0 : 0.5, 5);
      }
    } finally {
      await session.release();
    }
  });

  it("builds are byte-identical for the same seed and differ for another seed", () => {
    for (const [family, variant] of [
      ["resnet", "resnet18"],
      ["yolo", "yolov5n"],
    ] as const) {
      const a = buildGeneratedModel({ family, variant, resolution: R, seed: 5 });
      const b = buildGeneratedModel({ family, variant, resolution: R, seed: 5 });
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
      expect(a.manifest).toEqual(b.manifest);
      // The cached default-seed build differs from seed 5.
      expect(manifests.get(`${family}/${variant}`)?.sha256).not.toBe(a.manifest.sha256);
    }
  });

  it("records architecture-faithful parameter counts and compute that grows with depth", () => {
    const resnets = RESNET_VARIANTS.map((variant) => manifests.get(`resnet/${variant}`) as ModelManifest);
    // torchvision counts: 11.69 M … 60.19 M; folding BatchNorm drops its second per-channel vector.
    const expected = [11.69e6, 21.8e6, 25.56e6, 44.55e6, 60.19e6];
    resnets.forEach((m, i) => expect(Math.abs(m.params - (expected[i] as number)) / (expected[i] as number)).toBeLessThan(0.005));
    for (let i = 1; i < resnets.length; i++) expect((resnets[i] as ModelManifest).flops).toBeGreaterThan((resnets[i - 1] as ModelManifest).flops);
    for (const m of resnets) expect(m.accuracySource).toBe("published");
    expect(resnets.map((m) => m.accuracy)).toEqual([0.69758, 0.73314, 0.7613, 0.77374, 0.78312]);
  });

  it("scales yolo variants by YOLOv5's depth/width multiples (published parameter counts)", () => {
    const published = [1.9e6, 7.2e6, 21.2e6, 46.5e6, 86.7e6];
    YOLO_VARIANTS.forEach((variant, i) => {
      const m = manifests.get(`yolo/${variant}`) as ModelManifest;
      // The box head adds a few thousand weights on top of the YOLOv5 network.
      expect(Math.abs(m.params - (published[i] as number)) / (published[i] as number)).toBeLessThan(0.03);
      expect(m.accuracyMetric).toBe("mAP@0.5");
    });
  });
});
