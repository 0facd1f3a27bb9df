import { ConvNet } from "../onnx/conv-net.js";
import type { Feature } from "../onnx/conv-net.js";
import { GraphBuilder, ZOO_OPSET } from "../onnx/graph-builder.js";
import { createWeightSource, deriveSeed } from "../onnx/weights.js";
import { BATCH_DIM, sha256Hex } from "../manifest.js";
import type { ModelManifest } from "../manifest.js";
import type { BuiltModel, GeneratedBuildOptions } from "./types.js";

/** Bumped when the yolo builder's bytes change for the same options. */
export const YOLO_GENERATOR_VERSION = 1;

/**
 * Default crop resolution: equal to the resnet family's default, so that yolo → resnet composes.
 * The detector's input is twice that per side.
 */
export const YOLO_DEFAULT_RESOLUTION = 64;

/** Detector input side per crop side: the detector sees the frame, the classifier a crop of it. */
export const YOLO_INPUT_SCALE = 2;

interface YoloSpec {
  /** YOLOv5 depth multiple (scales the C3 repeat counts). */
  readonly depth: number;
  /** YOLOv5 width multiple (scales channel counts, rounded up to multiples of 8). */
  readonly width: number;
  /** Published COCO mAP@0.5 of the official YOLOv5 (v6) release, percent (as in IPA's config). */
  readonly map50: number;
}

const SPECS = {
  yolov5n: { depth: 0.33, width: 0.25, map50: 45.7 },
  yolov5s: { depth: 0.33, width: 0.5, map50: 56.8 },
  yolov5m: { depth: 0.67, width: 0.75, map50: 64.1 },
  yolov5l: { depth: 1.0, width: 1.0, map50: 67.3 },
  yolov5x: { depth: 1.33, width: 1.25, map50: 68.9 },
} as const satisfies Record<string, YoloSpec>;

export type YoloVariant = keyof typeof SPECS;
export const YOLO_VARIANTS = Object.keys(SPECS) as YoloVariant[];

const RESIDUAL_GAIN = 0.2;
/** COCO: 80 classes + 5 box terms, 3 anchors per level, as in YOLOv5's Detect layer. */
const DETECT_CHANNELS = 3 * (80 + 5);

/** YOLOv5's Conv: convolution (BatchNorm folded) then SiLU. */
function cbs(net: ConvNet, x: Feature, c: number, k: number, s = 1, gain?: number): Feature {
  return net.silu(net.conv(x, c, k, { stride: s, ...(gain === undefined ? {} : { gain }) }));
}

function c3(net: ConvNet, x: Feature, c2: number, n: number, shortcut: boolean): Feature {
  const hidden = Math.floor(c2 * 0.5);
  let m = cbs(net, x, hidden, 1);
  const side = cbs(net, x, hidden, 1);
  for (let i = 0; i < n; i++) {
    const a = cbs(net, m, hidden, 1);
    const b = cbs(net, a, hidden, 3, 1, shortcut ? RESIDUAL_GAIN : undefined);
    m = shortcut ? net.add(m, b) : b;
  }
  return cbs(net, net.concat([m, side]), c2, 1);
}

function sppf(net: ConvNet, x: Feature, c2: number): Feature {
  const a = cbs(net, x, Math.floor(x.c / 2), 1);
  const y1 = net.maxPool(a, 5, 1, 2);
  const y2 = net.maxPool(y1, 5, 1, 2);
  const y3 = net.maxPool(y2, 5, 1, 2);
  return cbs(net, net.concat([a, y1, y2, y3]), c2, 1);
}

/**
 * Builds one YOLOv5-style detector stage (v6 backbone, PAN neck and Detect convolutions, scaled by
 * the variant's depth/width multiples) whose output is the classifier's input: a square crop of its
 * own input frame, chosen by the detector head and resized with RoiAlign.
 *
 * Input `"input"` `[N,3,2R,2R]` → output `"crop"` `[N,3,R,R]`, where R = `options.resolution` is the
 * resolution of the resnet variants that consume it. Accuracy is the published YOLOv5 mAP@0.5.
 */
export function buildYolo(variant: YoloVariant, options: GeneratedBuildOptions): BuiltModel {
  const { resolution, seed } = options;
  const spec: YoloSpec = SPECS[variant];
  const frame = resolution * YOLO_INPUT_SCALE;
  const ch = (c: number): number => Math.ceil((c * spec.width) / 8) * 8;
  const reps = (n: number): number => Math.max(Math.round(n * spec.depth), 1);

  const g = new GraphBuilder(variant);
  const net = new ConvNet(g, createWeightSource(deriveSeed(seed, `yolo/${variant}`)));
  const input = g.input("input", "float32", [BATCH_DIM, 3, frame, frame]);
  const x0: Feature = { name: input, c: 3, h: frame, w: frame };

  // Backbone (yolov5 v6.0 yaml).
  const p1 = net.silu(net.conv(x0, ch(64), 6, { stride: 2, pad: 2 }));
  const p2 = c3(net, cbs(net, p1, ch(128), 3, 2), ch(128), reps(3), true);
  const p3 = c3(net, cbs(net, p2, ch(256), 3, 2), ch(256), reps(6), true);
  const p4 = c3(net, cbs(net, p3, ch(512), 3, 2), ch(512), reps(9), true);
  const p5 = sppf(net, c3(net, cbs(net, p4, ch(1024), 3, 2), ch(1024), reps(3), true), ch(1024));
  // PAN neck.
  const h10 = cbs(net, p5, ch(512), 1);
  const h13 = c3(net, net.concat([net.upsample2(h10), p4]), ch(512), reps(3), false);
  const h14 = cbs(net, h13, ch(256), 1);
  const out3 = c3(net, net.concat([net.upsample2(h14), p3]), ch(256), reps(3), false);
  const out4 = c3(net, net.concat([cbs(net, out3, ch(256), 3, 2), h14]), ch(512), reps(3), false);
  const out5 = c3(net, net.concat([cbs(net, out4, ch(512), 3, 2), h10]), ch(1024), reps(3), false);
  // Detect: one 1×1 convolution per level, 3 anchors × 85 outputs.
  const detections = [out3, out4, out5].map((f) => net.conv(f, DETECT_CHANNELS, 1, { pad: 0, gain: 1 }));

  // Box head: every level votes (so no detect branch is dead code), giving one square box per
  // frame with side in [frame/4, frame/2], always inside the frame.
  const pooled = g.op("Concat", detections.map((d) => net.globalPoolFlat(d)), { axis: 1 });
  const box = g.op("Sigmoid", [net.dense(pooled, DETECT_CHANNELS * detections.length, 3)]);
  const half = frame / 2;
  const quarter = frame / 4;
  const boxToRoi = g.constFloat("box_to_roi", [3, 4], [half, 0, half, 0, 0, half, 0, half, 0, 0, quarter, quarter]);
  const roiBias = g.constFloat("roi_bias", [4], [0, 0, quarter, quarter]);
  const rois = g.op("Gemm", [box, boxToRoi, roiBias]);
  const shape = g.op("Shape", [input]);
  const batch = g.op("Gather", [shape, g.constInt64("zero", [], [0])], { axis: 0 });
  const batchIndices = g.op("Range", [g.constInt64("zero", [], [0]), batch, g.constInt64("one", [], [1])]);
  g.node("RoiAlign", [input, rois, batchIndices], ["crop"], {
    mode: "avg",
    output_height: resolution,
    output_width: resolution,
    sampling_ratio: 2,
    spatial_scale: { f: 1 },
  });
  g.output("crop", "float32", [BATCH_DIM, 3, resolution, resolution]);

  const bytes = g.encode(`Fulcrum zoo ${variant} detector stage, synthetic weights (seed ${seed})`);
  const manifest: ModelManifest = {
    schemaVersion: 1,
    family: "yolo",
    variant,
    file: `${variant}-r${resolution}.onnx`,
    description: `${variant}-style detector stage (YOLOv5 v6 backbone+PAN+Detect, depth ${spec.depth}, width ${spec.width}), synthetic seeded weights, ${frame}x${frame} RGB frame in, ${resolution}x${resolution} crop out`,
    inputs: [{ name: "input", dtype: "float32", shape: [BATCH_DIM, 3, frame, frame] }],
    outputs: [{ name: "crop", dtype: "float32", shape: [BATCH_DIM, 3, resolution, resolution] }],
    accuracy: Number((spec.map50 / 100).toFixed(6)),
    accuracyMetric: "mAP@0.5",
    accuracySource: "published",
    accuracyReference: `Ultralytics YOLOv5 (v6) ${variant} COCO val mAP@0.5 ${spec.map50} % (as configured in IPA); this file has synthetic weights`,
    params: g.paramCount,
    flops: 2 * net.macs,
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.byteLength,
    resolution,
    seed,
    generatorVersion: YOLO_GENERATOR_VERSION,
    opset: ZOO_OPSET,
    pipeline: {
      role: "detector",
      feedsFamily: "resnet",
      feedsResolution: resolution,
      description: `output "crop" [N,3,${resolution},${resolution}] is the RoiAlign crop (box chosen by the detector head) of input "input" [N,3,${frame},${frame}], resized to the resnet variants' input at resolution ${resolution}`,
    },
  };
  return { bytes, manifest };
}
