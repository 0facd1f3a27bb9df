import type { LstmWeights } from "@fulcrum/core/forecast";
import onnxProto from "onnx-proto";
import type { onnx as O } from "onnx-proto";
import { LstmOnnxError } from "./errors.js";

// onnx-proto is a CJS protobufjs static module: values come from the default import.
const { onnx } = onnxProto;

/**
 * Name of the model's input: float32 [N, windowBins, features], oldest bin first, features in
 * `LstmWeights.features` order (the layout `lstmInput` produces).
 */
export const LSTM_ONNX_INPUT = "window";
/** Name of the model's output: forecast peak RPS, float32 [N, 1] (not clamped at 0). */
export const LSTM_ONNX_OUTPUT = "forecast";
/** Opset of the exported graph (ReduceMean still takes `axes` as an attribute there). */
export const LSTM_ONNX_OPSET = 14;

function floatTensor(name: string, dims: number[], values: readonly number[]): O.ITensorProto {
  const data = Float32Array.from(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

function int64Tensor(name: string, values: readonly number[]): O.ITensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

function node(opType: string, input: string[], output: string[], attribute: O.IAttributeProto[] = []): O.INodeProto {
  return { opType, input, output, name: output[0] ?? opType, attribute };
}

function valueInfo(name: string, dims: Array<number | string>): O.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * Exports the LSTM forecaster as an ONNX model (opset 14): input scaling (fixed or window mean),
 * the standard `LSTM` operator (gates i, o, f, c; sigmoid/tanh/tanh), a `Gemm` dense head and the
 * rescale, with a dynamic batch dimension "N". Input {@link LSTM_ONNX_INPUT} [N, windowBins,
 * features] → output {@link LSTM_ONNX_OUTPUT} [N, 1], equal to `lstmForward` up to float32 rounding.
 */
export function exportLstmToOnnx(weights: LstmWeights): Uint8Array {
  const H = weights.hiddenSize;
  const W = weights.windowBins;
  const F = weights.features.length;
  if (weights.w.length !== 4 * H * F || weights.r.length !== 4 * H * H || weights.b.length !== 4 * H || weights.headW.length !== H) {
    throw new LstmOnnxError("export", `weight arrays do not match hiddenSize=${H} and ${F} features`);
  }
  const initializer: O.ITensorProto[] = [
    int64Tensor("axis0", [0]),
    floatTensor("lstm_W", [1, 4 * H, F], weights.w),
    floatTensor("lstm_R", [1, 4 * H, H], weights.r),
    // ONNX splits the bias into Wb and Rb; ours is their sum, so Rb is zero.
    floatTensor("lstm_B", [1, 8 * H], [...weights.b, ...new Array<number>(4 * H).fill(0)]),
    floatTensor("head_W", [H, 1], weights.headW),
    floatTensor("head_B", [1], [weights.headB]),
  ];
  let inputScale: string;
  let outputScale: string;
  const scaleNodes: O.INodeProto[] = [];
  if (weights.normalization.kind === "fixed") {
    initializer.push(floatTensor("fixed_scale", [], [weights.normalization.scaleRps]));
    inputScale = "fixed_scale";
    outputScale = "fixed_scale";
  } else {
    initializer.push(floatTensor("one", [], [1]), int64Tensor("axis1", [1]), int64Tensor("axes12", [1, 2]));
    scaleNodes.push(
      node("ReduceMean", [LSTM_ONNX_INPUT], ["window_mean"], [
        { name: "axes", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2] },
        { name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ]),
      node("Max", ["window_mean", "one"], ["scale_n"]),
      node("Unsqueeze", ["scale_n", "axes12"], ["scale_n11"]),
      node("Unsqueeze", ["scale_n", "axis1"], ["scale_n1"]),
    );
    inputScale = "scale_n11";
    outputScale = "scale_n1";
  }
  const nodes: O.INodeProto[] = [
    ...scaleNodes,
    node("Div", [LSTM_ONNX_INPUT, inputScale], ["normalized"]),
    node("Transpose", ["normalized"], ["lstm_X"], [{ name: "perm", type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0, 2] }]),
    node("LSTM", ["lstm_X", "lstm_W", "lstm_R", "lstm_B"], ["lstm_Y", "lstm_Y_h"], [
      { name: "hidden_size", type: onnx.AttributeProto.AttributeType.INT, i: H },
    ]),
    node("Squeeze", ["lstm_Y_h", "axis0"], ["hidden"]),
    node("Gemm", ["hidden", "head_W", "head_B"], ["head"]),
    node("Mul", ["head", outputScale], [LSTM_ONNX_OUTPUT]),
  ];
  const model: O.IModelProto = {
    irVersion: 8,
    producerName: "fulcrum",
    opsetImport: [{ domain: "", version: LSTM_ONNX_OPSET }],
    graph: {
      name: "fulcrum_lstm_forecaster",
      node: nodes,
      initializer,
      input: [valueInfo(LSTM_ONNX_INPUT, ["N", W, F])],
      output: [valueInfo(LSTM_ONNX_OUTPUT, ["N", 1])],
    },
    metadataProps: [
      { key: "fulcrum.windowBins", value: String(W) },
      { key: "fulcrum.horizonBins", value: String(weights.horizonBins) },
      { key: "fulcrum.binS", value: String(weights.binS) },
      { key: "fulcrum.features", value: weights.features.join(",") },
    ],
  };
  return onnx.ModelProto.encode(model).finish();
}
