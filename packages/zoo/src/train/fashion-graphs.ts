import {
  FASHION_CLASSES,
  FASHION_PIXEL_MEAN,
  FASHION_PIXEL_STD,
  FASHION_RESOLUTION,
  planArchitecture,
} from "../families/fashion-architectures.js";
import type { ArchitecturePlan, FashionArchitecture, TestTimeView } from "../families/fashion-architectures.js";
import { GraphBuilder } from "../onnx/graph-builder.js";
import { BATCH_DIM } from "../manifest.js";

/** Learned tensors by parameter name (`p<layer>_w`, `p<layer>_b`). */
export type FashionWeights = ReadonlyMap<string, Float32Array>;

interface LayerTrace {
  /** Tensor the layer reads. */
  readonly input: string;
  /** Tensor after the layer's ReLU (or its linear output when it has none). */
  readonly output: string;
  /** Conv output that was flattened before this dense layer, if any. */
  readonly flattenedFrom?: string;
}

/** Appends the forward pass; `param(name)` returns the graph tensor that holds that weight. */
function forward(g: GraphBuilder, arch: FashionArchitecture, input: string, param: (name: string) => string): { logits: string; trace: LayerTrace[] } {
  const mean = g.constFloat("pixel_mean", [], [FASHION_PIXEL_MEAN]);
  const invStd = g.constFloat("pixel_inv_std", [], [1 / FASHION_PIXEL_STD]);
  let x = g.op("Mul", [g.op("Sub", [input, mean]), invStd]);
  let isFlat = false;
  const trace: LayerTrace[] = [];
  arch.layers.forEach((layer, i) => {
    const w = param(`p${i}_w`);
    const b = param(`p${i}_b`);
    if (layer.kind === "conv") {
      const pre = g.op("Conv", [x, w, b], {
        kernel_shape: [layer.kernel, layer.kernel],
        strides: [layer.stride, layer.stride],
        pads: [layer.pad, layer.pad, layer.pad, layer.pad],
      });
      const out = g.op("Relu", [pre]);
      trace.push({ input: x, output: out });
      x = out;
    } else {
      let flattenedFrom: string | undefined;
      if (!isFlat) {
        flattenedFrom = x;
        x = g.op("Flatten", [x], { axis: 1 });
        isFlat = true;
      }
      const pre = g.op("Gemm", [x, w, b]);
      const out = layer.relu ? g.op("Relu", [pre]) : pre;
      trace.push({ input: x, output: out, ...(flattenedFrom === undefined || i === 0 ? {} : { flattenedFrom }) });
      x = out;
    }
  });
  return { logits: x, trace };
}

/** Appends one test-time view of a `[N,1,28,28]` image batch (flip, then zero-filled shift). */
function appendView(g: GraphBuilder, input: string, view: TestTimeView): string {
  let x = input;
  const side = FASHION_RESOLUTION;
  if (view.flip) {
    const ints = (v: number[]): string => g.constInt64("slice", [v.length], v);
    // A negative step walks the width axis backwards; the end clamps to "before index 0".
    x = g.op("Slice", [x, ints([-1]), ints([-(2 ** 53) + 1]), ints([3]), ints([-1])]);
  }
  if (view.dx !== 0 || view.dy !== 0) {
    const top = Math.max(view.dy, 0);
    const bottom = Math.max(-view.dy, 0);
    const left = Math.max(view.dx, 0);
    const right = Math.max(-view.dx, 0);
    const padded = g.op("Pad", [x, g.constInt64("pads", [8], [0, 0, top, left, 0, 0, bottom, right])]);
    x = g.op("Slice", [
      padded,
      g.constInt64("starts", [2], [bottom, right]),
      g.constInt64("ends", [2], [bottom + side, right + side]),
      g.constInt64("axes", [2], [2, 3]),
    ]);
  }
  return x;
}

/**
 * The inference model of a trained variant: input `"input"` `[N,1,28,28]` float32 pixels in [0, 1],
 * output `"logits"` `[N,10]`.
 */
export function buildFashionInferenceGraph(arch: FashionArchitecture, weights: FashionWeights): { bytes: Uint8Array; params: number; plan: ArchitecturePlan } {
  const plan = planArchitecture(arch);
  const g = new GraphBuilder(`fashion-${arch.variant}`);
  const input = g.input("input", "float32", [BATCH_DIM, 1, FASHION_RESOLUTION, FASHION_RESOLUTION]);
  const byName = new Map<string, string>();
  for (const p of plan.params) {
    const data = weights.get(p.name);
    if (!data) throw new Error(`fashion ${arch.variant}: no trained weights for ${p.name}`);
    byName.set(p.name, g.namedParam(p.name, p.dims, data));
  }
  const views = arch.views ?? [];
  if (views.length === 0) {
    g.identity(forward(g, arch, input, (n) => byName.get(n) as string).logits, "logits");
  } else {
    // All views go through the network as one batch [V·N, …]; the mean softmax is regrouped per image.
    const stacked = g.op("Concat", views.map((v) => appendView(g, input, v)), { axis: 0 });
    const probs = g.op("Softmax", [forward(g, arch, stacked, (n) => byName.get(n) as string).logits], { axis: 1 });
    const grouped = g.op("Reshape", [probs, g.constInt64("view_shape", [3], [views.length, -1, FASHION_CLASSES])]);
    g.node("Log", [g.op("ReduceMean", [grouped], { axes: [0], keepdims: 0 })], ["logits"]);
  }
  g.output("logits", "float32", [BATCH_DIM, FASHION_CLASSES]);
  const macs = plan.macs * Math.max(views.length, 1);
  return { bytes: g.encode(`Fulcrum zoo fashion/${arch.variant}, trained on Fashion-MNIST`), params: g.paramCount, plan: { ...plan, macs } };
}

/** Names the training-step graph uses for the tensors of one parameter. */
export function stepTensorNames(param: string): { velocity: string; nextParam: string; nextVelocity: string; gradient: string } {
  return { velocity: `v_${param}`, nextParam: `${param}_next`, nextVelocity: `v_${param}_next`, gradient: `g_${param}` };
}

/**
 * One SGD-with-momentum step as an ONNX graph, so onnxruntime does the training with its own kernels.
 *
 * Inputs: `x` `[B,1,28,28]` pixels in [0, 1], `y` `[B,10]` one-hot labels, `lr` scalar learning rate,
 * every parameter under its name and its velocity under `v_<name>`. Outputs: `loss` (mean
 * cross-entropy of the batch, before the update), `<name>_next`, `v_<name>_next`, and with
 * `emitGradients` also `g_<name>` (∂loss/∂param), which the gradient check reads.
 *
 * Update: v ← μ·v + g; w ← w − lr·v.
 */
export function buildFashionTrainingStepGraph(arch: FashionArchitecture, options: { momentum: number; emitGradients?: boolean }): Uint8Array {
  const plan = planArchitecture(arch);
  const g = new GraphBuilder(`fashion-${arch.variant}-train`);
  const x = g.input("x", "float32", ["B", 1, FASHION_RESOLUTION, FASHION_RESOLUTION]);
  const y = g.input("y", "float32", ["B", FASHION_CLASSES]);
  const lr = g.input("lr", "float32", []);
  for (const p of plan.params) {
    g.input(p.name, "float32", p.dims);
    g.input(stepTensorNames(p.name).velocity, "float32", p.dims);
  }
  const { logits, trace } = forward(g, arch, x, (n) => n);

  // Loss = −Σ y·log softmax(z) / B; its gradient wrt z is (softmax(z) − y) / B.
  const batch = g.op("Cast", [g.op("Gather", [g.op("Shape", [x]), g.constInt64("zero", [], [0])], { axis: 0 })], { to: 1 });
  const invBatch = g.op("Reciprocal", [batch]);
  const logp = g.op("LogSoftmax", [logits], { axis: 1 });
  const nll = g.op("Neg", [g.op("ReduceSum", [g.op("Mul", [y, logp])], { keepdims: 0 })]);
  g.node("Mul", [nll, invBatch], ["loss"]);
  g.output("loss", "float32", []);
  let grad = g.op("Mul", [g.op("Sub", [g.op("Softmax", [logits], { axis: 1 }), y]), invBatch]);

  let zero: string | undefined;
  const grads = new Map<string, string>();
  for (let i = arch.layers.length - 1; i >= 0; i--) {
    const layer = arch.layers[i];
    const t = trace[i];
    if (!layer || !t) throw new Error("trace out of sync with layers");
    const hasRelu = layer.kind === "conv" || layer.relu;
    // d(pre-activation): the ReLU passes the gradient where its output is positive.
    const dPre = hasRelu ? g.op("Mul", [grad, g.op("Cast", [g.op("Greater", [t.output, (zero ??= g.constFloat("zero_f", [], [0]))])], { to: 1 })]) : grad;
    const w = `p${i}_w`;
    if (layer.kind === "dense") {
      grads.set(w, g.op("Gemm", [t.input, dPre], { transA: 1 }));
      grads.set(`p${i}_b`, g.op("ReduceSum", [dPre, g.constInt64("axes", [1], [0])], { keepdims: 0 }));
      if (i > 0) {
        grad = g.op("Gemm", [dPre, w], { transB: 1 });
        if (t.flattenedFrom) grad = g.op("Reshape", [grad, g.op("Shape", [t.flattenedFrom])]);
      }
    } else {
      const inShape = i === 0 ? [1, FASHION_RESOLUTION, FASHION_RESOLUTION] : (plan.shapes[i - 1] as readonly number[]);
      const inH = inShape[1] as number;
      const s = layer.stride;
      const p = layer.pad;
      // Rows of the padded input the forward conv never reached when the stride does not divide.
      const rest = (inH + 2 * p - layer.kernel) % s;
      if (rest > p) throw new Error(`${arch.variant}: conv ${i} stride/pad combination not supported by the trainer`);
      const perm = [1, 0, 2, 3];
      const dW = g.op("Conv", [g.op("Transpose", [t.input], { perm }), g.op("Transpose", [dPre], { perm })], {
        dilations: [s, s],
        pads: [p, p, p - rest, p - rest],
      });
      grads.set(w, g.op("Transpose", [dW], { perm }));
      grads.set(`p${i}_b`, g.op("ReduceSum", [dPre, g.constInt64("axes", [3], [0, 2, 3])], { keepdims: 0 }));
      if (i > 0) {
        grad = g.op("ConvTranspose", [dPre, w], {
          strides: [s, s],
          pads: [p, p, p, p],
          output_padding: [rest, rest],
          kernel_shape: [layer.kernel, layer.kernel],
        });
      }
    }
  }

  const mu = g.constFloat("momentum", [], [options.momentum]);
  for (const p of plan.params) {
    const names = stepTensorNames(p.name);
    const gp = grads.get(p.name);
    if (!gp) throw new Error(`no gradient for ${p.name}`);
    g.node("Add", [g.op("Mul", [names.velocity, mu]), gp], [names.nextVelocity]);
    g.node("Sub", [p.name, g.op("Mul", [names.nextVelocity, lr])], [names.nextParam]);
    g.output(names.nextParam, "float32", p.dims);
    g.output(names.nextVelocity, "float32", p.dims);
    if (options.emitGradients) {
      g.identity(gp, names.gradient);
      g.output(names.gradient, "float32", p.dims);
    }
  }
  return g.encode(`Fulcrum zoo fashion/${arch.variant} training step`);
}
