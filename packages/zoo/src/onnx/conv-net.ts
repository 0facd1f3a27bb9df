import type { GraphBuilder } from "./graph-builder.js";
import type { WeightSource } from "./weights.js";

/** A 4-D feature map `[N, c, h, w]` in the graph, with its static per-sample shape. */
export interface Feature {
  readonly name: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** Options of one convolution with BatchNorm folded into its bias. */
export interface ConvOptions {
  /** Stride in pixels. @default 1 */
  stride?: number;
  /** Symmetric zero padding in pixels. @default floor(kernel / 2) */
  pad?: number;
  /**
   * Scale of the weight variance relative to He init. Residual branches end with a small gain, as
   * a folded BatchNorm with a small gamma would, so that 50 stacked blocks stay finite.
   * @default √2
   */
  gain?: number;
}

/**
 * Shape-tracking helpers that append convolutional layers to a {@link GraphBuilder} with seeded
 * weights, and count multiply-accumulates per sample for the manifest's FLOPs estimate.
 */
export class ConvNet {
  /** Multiply-accumulate operations per sample so far. */
  macs = 0;

  constructor(
    readonly g: GraphBuilder,
    private readonly weights: WeightSource,
  ) {}

  conv(x: Feature, outChannels: number, kernel: number, options: ConvOptions = {}): Feature {
    const stride = options.stride ?? 1;
    const pad = options.pad ?? Math.floor(kernel / 2);
    const fanIn = x.c * kernel * kernel;
    const w = this.g.param("conv_w", [outChannels, x.c, kernel, kernel], this.weights.scaled(outChannels * fanIn, fanIn, options.gain ?? Math.SQRT2));
    const b = this.g.param("conv_b", [outChannels], this.weights.uniform(outChannels, 0.05));
    const h = Math.floor((x.h + 2 * pad - kernel) / stride) + 1;
    const wd = Math.floor((x.w + 2 * pad - kernel) / stride) + 1;
    if (h < 1 || wd < 1) throw new Error(`conv ${kernel}x${kernel}/s${stride} does not fit a ${x.h}x${x.w} feature map`);
    const name = this.g.op("Conv", [x.name, w, b], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [pad, pad, pad, pad],
    });
    this.macs += outChannels * h * wd * fanIn;
    return { name, c: outChannels, h, w: wd };
  }

  relu(x: Feature): Feature {
    return { ...x, name: this.g.op("Relu", [x.name]) };
  }

  /** SiLU (x·σ(x)), YOLOv5's activation; opset 13 has no fused op for it. */
  silu(x: Feature): Feature {
    const s = this.g.op("Sigmoid", [x.name]);
    return { ...x, name: this.g.op("Mul", [x.name, s]) };
  }

  add(a: Feature, b: Feature): Feature {
    if (a.c !== b.c || a.h !== b.h || a.w !== b.w) throw new Error(`cannot add ${a.c}x${a.h}x${a.w} and ${b.c}x${b.h}x${b.w}`);
    return { ...a, name: this.g.op("Add", [a.name, b.name]) };
  }

  maxPool(x: Feature, kernel: number, stride: number, pad: number): Feature {
    const h = Math.floor((x.h + 2 * pad - kernel) / stride) + 1;
    const w = Math.floor((x.w + 2 * pad - kernel) / stride) + 1;
    const name = this.g.op("MaxPool", [x.name], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [pad, pad, pad, pad] });
    return { name, c: x.c, h, w };
  }

  concat(parts: readonly Feature[]): Feature {
    const first = parts[0];
    if (!first) throw new Error("concat of nothing");
    for (const p of parts) {
      if (p.h !== first.h || p.w !== first.w) throw new Error(`concat of ${p.h}x${p.w} with ${first.h}x${first.w}`);
    }
    const name = this.g.op("Concat", parts.map((p) => p.name), { axis: 1 });
    return { name, c: parts.reduce((s, p) => s + p.c, 0), h: first.h, w: first.w };
  }

  /** Nearest-neighbour ×2 upsampling. */
  upsample2(x: Feature): Feature {
    const scales = this.g.constFloat("up_scales", [4], [1, 1, 2, 2]);
    const name = this.g.op("Resize", [x.name, "", scales], { mode: "nearest" });
    return { name, c: x.c, h: x.h * 2, w: x.w * 2 };
  }

  /** Global average pool to `[N, c]`. */
  globalPoolFlat(x: Feature): string {
    const pooled = this.g.op("GlobalAveragePool", [x.name]);
    return this.g.op("Flatten", [pooled], { axis: 1 });
  }

  /** Fully connected layer on a `[N, inFeatures]` tensor. */
  dense(x: string, inFeatures: number, outFeatures: number, gain = 1): string {
    const w = this.g.param("fc_w", [inFeatures, outFeatures], this.weights.scaled(inFeatures * outFeatures, inFeatures, gain));
    const b = this.g.param("fc_b", [outFeatures], this.weights.uniform(outFeatures, 0.05));
    this.macs += inFeatures * outFeatures;
    return this.g.op("Gemm", [x, w, b]);
  }
}
