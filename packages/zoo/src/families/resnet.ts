import { ConvNet } from "../onnx/conv-net.js";
import type { Feature } from "../onnx/conv-net.js";
import { GraphBuilder, ZOO_OPSET } from "../onnx/graph-builder.js";
import { createWeightSource, deriveSeed } from "../onnx/weights.js";
import { BATCH_DIM, sha256Hex } from "../manifest.js";
import type { ModelManifest } from "../manifest.js";
import type { BuiltModel, GeneratedBuildOptions } from "./types.js";

/** Bumped when the resnet builder's bytes change for the same options. */
export const RESNET_GENERATOR_VERSION = 1;

/**
 * Default input resolution (pixels per side). At 64 px ResNet-18 runs in a few milliseconds at
 * batch 1 on one core here, which puts the family's latencies in an SLO range a 2-core box can serve.
 */
export const RESNET_DEFAULT_RESOLUTION = 64;

interface ResnetSpec {
  readonly block: "basic" | "bottleneck";
  readonly layers: readonly [number, number, number, number];
  /** torchvision IMAGENET1K_V1 top-1, percent. */
  readonly top1: number;
}

const SPECS = {
  resnet18: { block: "basic", layers: [2, 2, 2, 2], top1: 69.758 },
  resnet34: { block: "basic", layers: [3, 4, 6, 3], top1: 73.314 },
  resnet50: { block: "bottleneck", layers: [3, 4, 6, 3], top1: 76.13 },
  resnet101: { block: "bottleneck", layers: [3, 4, 23, 3], top1: 77.374 },
  resnet152: { block: "bottleneck", layers: [3, 8, 36, 3], top1: 78.312 },
} as const satisfies Record<string, ResnetSpec>;

export type ResnetVariant = keyof typeof SPECS;
export const RESNET_VARIANTS = Object.keys(SPECS) as ResnetVariant[];

const STAGE_WIDTHS = [64, 128, 256, 512] as const;
const CLASSES = 1000;
// Residual branches end with a small gain (a folded BatchNorm with small gamma) so that the
// variance grows by ~1 % per block instead of doubling: ResNet-152 stays finite.
const RESIDUAL_GAIN = 0.2;

function basicBlock(net: ConvNet, x: Feature, width: number, stride: number): Feature {
  const a = net.relu(net.conv(x, width, 3, { stride }));
  const b = net.conv(a, width, 3, { gain: RESIDUAL_GAIN });
  const shortcut = stride !== 1 || x.c !== width ? net.conv(x, width, 1, { stride, pad: 0, gain: 1 }) : x;
  return net.relu(net.add(b, shortcut));
}

function bottleneckBlock(net: ConvNet, x: Feature, width: number, stride: number): Feature {
  const out = width * 4;
  const a = net.relu(net.conv(x, width, 1, { pad: 0 }));
  // torchvision ("v1.5") strides the 3×3 convolution, not the first 1×1.
  const b = net.relu(net.conv(a, width, 3, { stride }));
  const c = net.conv(b, out, 1, { pad: 0, gain: RESIDUAL_GAIN });
  const shortcut = stride !== 1 || x.c !== out ? net.conv(x, out, 1, { stride, pad: 0, gain: 1 }) : x;
  return net.relu(net.add(c, shortcut));
}

/** Writes the ResNet graph onto `g` from a `[N,3,R,R]` input tensor; returns the logits tensor. */
export function appendResnet(net: ConvNet, input: Feature, variant: ResnetVariant): string {
  const spec: ResnetSpec = SPECS[variant];
  let x = net.relu(net.conv(input, 64, 7, { stride: 2, pad: 3 }));
  x = net.maxPool(x, 3, 2, 1);
  spec.layers.forEach((blocks, stage) => {
    const width = STAGE_WIDTHS[stage] as number;
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      x = spec.block === "basic" ? basicBlock(net, x, width, stride) : bottleneckBlock(net, x, width, stride);
    }
  });
  const pooled = net.globalPoolFlat(x);
  return net.dense(pooled, x.c, CLASSES);
}

/**
 * Builds one ResNet variant: torchvision's architecture (BatchNorm folded into conv biases),
 * seeded synthetic weights, `[N,3,R,R]` float32 input `"input"`, `[N,1000]` output `"logits"`.
 * Accuracy is the published torchvision top-1, labelled `published`.
 */
export function buildResnet(variant: ResnetVariant, options: GeneratedBuildOptions): BuiltModel {
  const { resolution, seed } = options;
  const g = new GraphBuilder(variant);
  const net = new ConvNet(g, createWeightSource(deriveSeed(seed, `resnet/${variant}`)));
  const input = g.input("input", "float32", [BATCH_DIM, 3, resolution, resolution]);
  const logits = appendResnet(net, { name: input, c: 3, h: resolution, w: resolution }, variant);
  g.identity(logits, "logits");
  g.output("logits", "float32", [BATCH_DIM, CLASSES]);
  const bytes = g.encode(`Fulcrum zoo ${variant}, synthetic weights (seed ${seed})`);
  const spec = SPECS[variant];
  const manifest: ModelManifest = {
    schemaVersion: 1,
    family: "resnet",
    variant,
    file: `${variant}-r${resolution}.onnx`,
    description: `${variant} (torchvision architecture, ${spec.block} blocks ${spec.layers.join("-")}), BatchNorm folded, synthetic seeded weights, ${resolution}x${resolution} RGB input`,
    inputs: [{ name: "input", dtype: "float32", shape: [BATCH_DIM, 3, resolution, resolution] }],
    outputs: [{ name: "logits", dtype: "float32", shape: [BATCH_DIM, CLASSES] }],
    accuracy: Number((spec.top1 / 100).toFixed(6)),
    accuracyMetric: "top1",
    accuracySource: "published",
    accuracyReference: `torchvision ${variant} IMAGENET1K_V1 ImageNet top-1 ${spec.top1} %; this file has synthetic weights, so its outputs are meaningless`,
    params: g.paramCount,
    flops: 2 * net.macs,
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.byteLength,
    resolution,
    seed,
    generatorVersion: RESNET_GENERATOR_VERSION,
    opset: ZOO_OPSET,
  };
  return { bytes, manifest };
}
