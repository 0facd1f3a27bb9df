/** Fashion-MNIST images are 28×28 grey. */
export const FASHION_RESOLUTION = 28;
export const FASHION_CLASSES = 10;
/** Images in the Fashion-MNIST training split. */
export const FASHION_TRAIN_SAMPLES = 60_000;
/** Pixel mean and standard deviation of the Fashion-MNIST training split (pixels scaled to [0, 1]). */
export const FASHION_PIXEL_MEAN = 0.286;
export const FASHION_PIXEL_STD = 0.353;

/** A convolution (zero-padded, with bias) followed by ReLU. */
export interface ConvLayer {
  readonly kind: "conv";
  readonly out: number;
  readonly kernel: number;
  readonly stride: number;
  readonly pad: number;
}

/** A fully connected layer, with or without a ReLU after it. */
export interface DenseLayer {
  readonly kind: "dense";
  readonly out: number;
  readonly relu: boolean;
}

export type FashionLayer = ConvLayer | DenseLayer;

/** One test-time view of the input image: optional horizontal flip, then a shift in pixels (zero fill). */
export interface TestTimeView {
  readonly flip: boolean;
  /** Shift right (positive) or left (negative), pixels. */
  readonly dx: number;
  /** Shift down (positive) or up (negative), pixels. */
  readonly dy: number;
}

/** One trainable architecture and the recipe that trains it. */
export interface FashionArchitecture {
  readonly variant: string;
  readonly description: string;
  /** Layers in order; convolutions come before dense layers; the last layer is dense with 10 outputs. */
  readonly layers: readonly FashionLayer[];
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate of the cosine schedule. */
  readonly learningRate: number;
  readonly momentum: number;
  /**
   * Training-time augmentation: each training image is drawn (seeded) as one of these views, so
   * the network learns the invariances its test-time views rely on. @default identity only
   */
  readonly trainViews?: readonly TestTimeView[];
  /**
   * Variant whose trained weights this one reuses instead of training its own (same layers and
   * recipe). Used with {@link views} for test-time augmentation.
   */
  readonly base?: string;
  /**
   * Test-time augmentation: the model runs on every view of the input in one batch and averages
   * the softmax outputs; its "logits" output is then the log of that average.
   */
  readonly views?: readonly TestTimeView[];
}

const conv = (out: number, stride: number): ConvLayer => ({ kind: "conv", out, kernel: 3, stride, pad: 1 });
const dense = (out: number, relu: boolean): DenseLayer => ({ kind: "dense", out, relu });

/** The fashion family, smallest first. */
const DEEP_VIEWS: readonly TestTimeView[] = [
  { flip: false, dx: 0, dy: 0 },
  { flip: true, dx: 0, dy: 0 },
  { flip: false, dx: 1, dy: 0 },
  { flip: false, dx: -1, dy: 0 },
];

const CNN_DEEP: FashionArchitecture = {
  variant: "cnn-deep",
  description: "CNN: conv 32 → conv/s2 32 → conv 64 → conv/s2 64 → conv 128 → conv 128 (all 3x3) → dense 10, trained with random flips and 1 px shifts",
  layers: [conv(32, 1), conv(32, 2), conv(64, 1), conv(64, 2), conv(128, 1), conv(128, 1), dense(10, false)],
  epochs: 3,
  batchSize: 64,
  learningRate: 0.03,
  momentum: 0.9,
  trainViews: DEEP_VIEWS,
};

export const FASHION_ARCHITECTURES: readonly FashionArchitecture[] = [
  {
    variant: "linear",
    description: "softmax regression on the 784 pixels",
    layers: [dense(10, false)],
    epochs: 3,
    batchSize: 64,
    learningRate: 0.02,
    momentum: 0.9,
  },
  {
    variant: "mlp",
    description: "MLP 784-256-128-10 with ReLU",
    layers: [dense(256, true), dense(128, true), dense(10, false)],
    epochs: 4,
    batchSize: 64,
    learningRate: 0.05,
    momentum: 0.9,
  },
  {
    variant: "cnn-small",
    description: "CNN: conv3x3/s2 16 → conv3x3/s2 32 → dense 10",
    layers: [conv(16, 2), conv(32, 2), dense(10, false)],
    epochs: 4,
    batchSize: 64,
    learningRate: 0.05,
    momentum: 0.9,
  },
  CNN_DEEP,
  {
    ...CNN_DEEP,
    variant: "cnn-deep-tta",
    description: `${CNN_DEEP.description}, weights of cnn-deep evaluated with 4-view test-time augmentation (identity, horizontal flip, 1 px shifts left and right; softmax averaged)`,
    base: "cnn-deep",
    views: DEEP_VIEWS,
  },
];

export const FASHION_VARIANTS: readonly string[] = FASHION_ARCHITECTURES.map((a) => a.variant);

/** Static shape of one learned tensor of an architecture. */
export interface ParamShape {
  /** Stable name (`p<layer>_w`, `p<layer>_b`); the trainer feeds and reads weights by it. */
  readonly name: string;
  readonly dims: readonly number[];
  /** Inputs feeding one output unit (for initialisation). */
  readonly fanIn: number;
}

/** Per-sample activation shape after each layer, plus parameter shapes and MACs. */
export interface ArchitecturePlan {
  readonly params: readonly ParamShape[];
  /** `[c, h, w]` after each conv layer, `[features]` after each dense layer. */
  readonly shapes: readonly (readonly number[])[];
  readonly macs: number;
}

/** Walks an architecture once to get every shape; throws if it does not fit 28×28 input. */
export function planArchitecture(arch: FashionArchitecture): ArchitecturePlan {
  let c = 1;
  let h = FASHION_RESOLUTION;
  let w = FASHION_RESOLUTION;
  let flat: number | undefined;
  let macs = 0;
  const params: ParamShape[] = [];
  const shapes: number[][] = [];
  arch.layers.forEach((layer, i) => {
    if (layer.kind === "conv") {
      if (flat !== undefined) throw new Error(`${arch.variant}: conv layer ${i} after a dense layer`);
      const fanIn = c * layer.kernel * layer.kernel;
      params.push({ name: `p${i}_w`, dims: [layer.out, c, layer.kernel, layer.kernel], fanIn });
      params.push({ name: `p${i}_b`, dims: [layer.out], fanIn });
      h = Math.floor((h + 2 * layer.pad - layer.kernel) / layer.stride) + 1;
      w = Math.floor((w + 2 * layer.pad - layer.kernel) / layer.stride) + 1;
      c = layer.out;
      macs += c * h * w * fanIn;
      shapes.push([c, h, w]);
    } else {
      const inFeatures = flat ?? c * h * w;
      params.push({ name: `p${i}_w`, dims: [inFeatures, layer.out], fanIn: inFeatures });
      params.push({ name: `p${i}_b`, dims: [layer.out], fanIn: inFeatures });
      macs += inFeatures * layer.out;
      flat = layer.out;
      shapes.push([layer.out]);
    }
  });
  const last = arch.layers[arch.layers.length - 1];
  if (!last || last.kind !== "dense" || last.out !== FASHION_CLASSES || last.relu) {
    throw new Error(`${arch.variant}: the last layer must be a dense layer with ${FASHION_CLASSES} outputs and no ReLU`);
  }
  return { params, shapes, macs };
}

/** Applies a view in place to a `[n,1,28,28]` batch's image `j` (pixels outside the frame become 0). */
export function applyView(batch: Float32Array, j: number, view: TestTimeView, scratch: Float32Array): void {
  const side = FASHION_RESOLUTION;
  const base = j * side * side;
  scratch.set(batch.subarray(base, base + side * side));
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      const sr = r - view.dy;
      const sc0 = c - view.dx;
      const sc = view.flip ? side - 1 - sc0 : sc0;
      batch[base + r * side + c] = sr >= 0 && sr < side && sc0 >= 0 && sc0 < side ? (scratch[sr * side + sc] as number) : 0;
    }
  }
}

/** The variant whose weights `arch` trains or reuses (its seed name). */
export function weightsVariant(arch: FashionArchitecture): string {
  return arch.base ?? arch.variant;
}

/** The architecture of a fashion variant, if it exists. */
export function fashionArchitecture(variant: string): FashionArchitecture | undefined {
  return FASHION_ARCHITECTURES.find((a) => a.variant === variant);
}
