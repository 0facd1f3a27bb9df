/**
 * Test fixture: a tiny Gemm+Relu MLP with a dynamic batch dimension, built as ONNX bytes with
 * onnx-proto, plus a plain-JS forward pass to check what onnxruntime returns.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as O } from "onnx-proto";
import { createRng } from "@fulcrum/core/rng";

const { onnx } = onnxProto;

/** Shape and weights seed of a fixture MLP. */
export interface MlpSpec {
  /** Input features (input `x` is float32 [N, inputSize]). */
  readonly inputSize: number;
  /** Hidden layer widths (each Gemm + Relu). */
  readonly hiddenSizes: readonly number[];
  /** Output features (output `y` is float32 [N, outputSize], no activation). */
  readonly outputSize: number;
  /** Weight seed: different seeds give models with different outputs for the same input. */
  readonly seed: number;
}

/** A built fixture: its ONNX bytes and the weights (row-major [in, out]) for the reference pass. */
export interface MlpModel {
  readonly spec: MlpSpec;
  readonly bytes: Uint8Array;
  readonly layers: readonly { readonly w: Float32Array; readonly b: Float32Array; readonly inSize: number; readonly outSize: number }[];
}

export function buildMlpModel(spec: MlpSpec): MlpModel {
  const rng = createRng(spec.seed);
  const sizes = [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
  const layers: { w: Float32Array; b: Float32Array; inSize: number; outSize: number }[] = [];
  const initializer: O.ITensorProto[] = [];
  const node: O.INodeProto[] = [];
  let prev = "x";
  for (let i = 0; i + 1 < sizes.length; i++) {
    const inSize = sizes[i] as number;
    const outSize = sizes[i + 1] as number;
    const scale = 1 / Math.sqrt(inSize);
    const w = Float32Array.from({ length: inSize * outSize }, () => (rng.next() * 2 - 1) * scale);
    const b = Float32Array.from({ length: outSize }, () => (rng.next() * 2 - 1) * 0.1);
    layers.push({ w, b, inSize, outSize });
    initializer.push(
      { name: `w${i}`, dataType: onnx.TensorProto.DataType.FLOAT, dims: [inSize, outSize], rawData: new Uint8Array(w.buffer) },
      { name: `b${i}`, dataType: onnx.TensorProto.DataType.FLOAT, dims: [outSize], rawData: new Uint8Array(b.buffer) },
    );
    const last = i + 2 === sizes.length;
    const gemmOut = last ? "y" : `g${i}`;
    node.push({ opType: "Gemm", input: [prev, `w${i}`, `b${i}`], output: [gemmOut], name: `gemm${i}` });
    if (!last) {
      node.push({ opType: "Relu", input: [gemmOut], output: [`h${i}`], name: `relu${i}` });
      prev = `h${i}`;
    }
  }
  const valueInfo = (name: string, width: number): O.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
  });
  const graph: O.IGraphProto = {
    name: `mlp_${spec.seed}`,
    node,
    initializer,
    input: [valueInfo("x", spec.inputSize)],
    output: [valueInfo("y", spec.outputSize)],
  };
  const bytes = onnx.ModelProto.encode({ irVersion: 8, producerName: "fulcrum-test", opsetImport: [{ domain: "", version: 14 }], graph }).finish();
  return { spec, bytes, layers };
}

/** Builds the model and writes it to `<dir>/<name>.onnx`; returns the path and the model. */
export function writeMlpModel(dir: string, name: string, spec: MlpSpec): { path: string; model: MlpModel } {
  mkdirSync(dir, { recursive: true });
  const model = buildMlpModel(spec);
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, model.bytes);
  return { path, model };
}

/** Reference forward pass in float64 over `batch` rows of `x` (row-major [batch, inputSize]). */
export function mlpForward(model: MlpModel, x: Float32Array, batch: number): Float64Array {
  let act = Float64Array.from(x);
  model.layers.forEach((layer, li) => {
    const out = new Float64Array(batch * layer.outSize);
    for (let r = 0; r < batch; r++) {
      for (let o = 0; o < layer.outSize; o++) {
        let s = layer.b[o] as number;
        for (let i = 0; i < layer.inSize; i++) s += (act[r * layer.inSize + i] as number) * (layer.w[i * layer.outSize + o] as number);
        out[r * layer.outSize + o] = li + 1 < model.layers.length ? Math.max(0, s) : s;
      }
    }
    act = out;
  });
  return act;
}
