import onnxProto from "onnx-proto";
import type { onnx as O } from "onnx-proto";

// onnx-proto is a CommonJS protobufjs static module: values come from the default import.
const { onnx } = onnxProto;

/** ONNX opset every zoo model is written for (ORT 1.30 runs it; onnx-proto's schema knows it). */
export const ZOO_OPSET = 13;

/** A tensor dimension: a fixed size, or a symbolic name for a dynamic one (the batch is `"N"`). */
export type Dim = number | string;

/** Element types the zoo writes. */
export type ElementType = "float32" | "int64";

/**
 * A node attribute. A plain number is an INT, a number array INTS, a string STRING;
 * `{ f }` is a FLOAT (ONNX cannot tell 1 from 1.0, so floats are explicit).
 */
export type AttrValue = number | number[] | string | { f: number };

const ELEMENT: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
};

function valueInfo(name: string, type: ElementType, shape: readonly Dim[]): O.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT[type],
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): O.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new TypeError(`attribute ${name}=${value} is not an integer; use { f } for floats`);
    return { name, type: T.INT, i: value };
  }
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  return { name, type: T.FLOAT, f: value.f };
}

/**
 * Accumulates one ONNX graph (inputs, outputs, initializers, nodes in topological order) and encodes
 * it as a ModelProto. Names are generated from a counter, so the same sequence of calls always
 * yields the same bytes.
 */
export class GraphBuilder {
  private readonly nodes: O.INodeProto[] = [];
  private readonly initializers: O.ITensorProto[] = [];
  private readonly inputs: O.IValueInfoProto[] = [];
  private readonly outputs: O.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  /** Number of float32 weights registered with {@link param} (the model's parameter count). */
  paramCount = 0;

  constructor(private readonly graphName: string) {}

  /** A fresh tensor name starting with `prefix`. */
  name(prefix: string): string {
    let candidate = `${prefix}_${this.counter++}`;
    while (this.used.has(candidate)) candidate = `${prefix}_${this.counter++}`;
    this.used.add(candidate);
    return candidate;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`tensor name "${name}" is already used in graph ${this.graphName}`);
    this.used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, type: ElementType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, shape));
    return name;
  }

  /** Declares a graph output; `name` must be produced by a node (see {@link identity}). */
  output(name: string, type: ElementType, shape: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Adds a trainable/learned float32 weight and counts it as parameters. */
  param(prefix: string, dims: readonly number[], data: Float32Array): string {
    this.paramCount += data.length;
    return this.floatInitializer(this.name(prefix), dims, data);
  }

  /** Adds a float32 weight under an exact name (the trainer addresses weights by name). */
  namedParam(name: string, dims: readonly number[], data: Float32Array): string {
    this.paramCount += data.length;
    return this.floatInitializer(this.claim(name), dims, data);
  }

  /** A float32 constant that is not a parameter (normalisation constants, box maps…). */
  constFloat(prefix: string, dims: readonly number[], data: readonly number[] | Float32Array): string {
    return this.floatInitializer(this.name(prefix), dims, Float32Array.from(data));
  }

  /** An int64 constant (shapes, axes, indices). An empty `dims` makes a scalar. */
  constInt64(prefix: string, dims: readonly number[], data: readonly number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`int64 constant ${prefix}: ${data.length} values for dims [${dims.join(",")}]`);
    const name = this.name(prefix);
    this.initializers.push({ name, dims: [...dims], dataType: ELEMENT.int64, int64Data: [...data] });
    return name;
  }

  private floatInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`weight ${name}: ${data.length} values for dims [${dims.join(",")}]`);
    // raw_data is little-endian on the wire, which is what a Float32Array holds on x64/arm64.
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims: [...dims], dataType: ELEMENT.float32, rawData: raw });
    return name;
  }

  /**
   * Appends a node. `outputs` is either explicit names or a count of fresh names to generate
   * (prefixed with the lower-cased op type). Returns the output names.
   */
  node(op: string, inputs: readonly string[], outputs: readonly string[] | number = 1, attrs: Record<string, AttrValue> = {}): string[] {
    const outNames =
      typeof outputs === "number"
        ? Array.from({ length: outputs }, () => this.name(op.toLowerCase()))
        : outputs.map((o) => this.claim(o));
    this.nodes.push({
      opType: op,
      name: this.name(`n_${op}`),
      input: [...inputs],
      output: outNames,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outNames;
  }

  /** Single-output convenience over {@link node}. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, 1, attrs)[0] as string;
  }

  /** Copies `from` into a tensor named `to` (used to give graph outputs stable names). */
  identity(from: string, to: string): string {
    this.node("Identity", [from], [to]);
    return to;
  }

  /** Encodes the model. The same builder state always encodes to the same bytes. */
  encode(docString = ""): Uint8Array {
    const model: O.IModelProto = {
      irVersion: 7,
      producerName: "fulcrum-zoo",
      producerVersion: "1",
      docString,
      opsetImport: [{ domain: "", version: ZOO_OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

/** The float32 initializers of an encoded model, by name (used to reuse trained weights). */
export function readFloatInitializers(bytes: Uint8Array): Map<string, Float32Array> {
  const model = onnx.ModelProto.decode(bytes);
  const out = new Map<string, Float32Array>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== ELEMENT.float32 || !t.name) continue;
    const raw = t.rawData;
    // Copy into an aligned buffer: rawData is a view into the protobuf bytes at any offset.
    out.set(t.name, raw && raw.length > 0 ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(t.floatData ?? []));
  }
  return out;
}
