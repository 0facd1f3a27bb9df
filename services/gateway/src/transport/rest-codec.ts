import { InvalidArgumentError } from "@fulcrum/core";
import { inference } from "@fulcrum/proto";

type Numeric = "FP32" | "FP64" | "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64" | "BOOL";

const BYTES: Record<Numeric, number> = { FP32: 4, FP64: 8, INT8: 1, INT16: 2, INT32: 4, INT64: 8, UINT8: 1, UINT16: 2, UINT32: 4, UINT64: 8, BOOL: 1 };

function isNumeric(d: string): d is Numeric {
  return d in BYTES;
}

function flatten(data: unknown, out: unknown[]): void {
  if (Array.isArray(data)) for (const d of data) flatten(d, out);
  else out.push(data);
}

function encodeValues(field: string, datatype: Numeric, values: unknown[]): Buffer {
  const buf = Buffer.alloc(values.length * BYTES[datatype]);
  values.forEach((v, i) => {
    if (datatype === "BOOL") {
      if (typeof v !== "boolean") throw new InvalidArgumentError(`${field}[${i}]`, `expected a boolean, got ${JSON.stringify(v)}`);
      buf.writeUInt8(v ? 1 : 0, i);
      return;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidArgumentError(`${field}[${i}]`, `expected a finite number, got ${JSON.stringify(v)}`);
    const o = i * BYTES[datatype];
    switch (datatype) {
      case "FP32": buf.writeFloatLE(v, o); break;
      case "FP64": buf.writeDoubleLE(v, o); break;
      case "INT8": buf.writeInt8(v, o); break;
      case "INT16": buf.writeInt16LE(v, o); break;
      case "INT32": buf.writeInt32LE(v, o); break;
      case "INT64": buf.writeBigInt64LE(BigInt(Math.trunc(v)), o); break;
      case "UINT8": buf.writeUInt8(v, o); break;
      case "UINT16": buf.writeUInt16LE(v, o); break;
      case "UINT32": buf.writeUInt32LE(v, o); break;
      case "UINT64": buf.writeBigUInt64LE(BigInt(Math.trunc(v)), o); break;
    }
  });
  return buf;
}

function decodeValues(datatype: Numeric, raw: Uint8Array): Array<number | boolean> {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = Math.floor(buf.length / BYTES[datatype]);
  const out: Array<number | boolean> = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * BYTES[datatype];
    switch (datatype) {
      case "FP32": out[i] = buf.readFloatLE(o); break;
      case "FP64": out[i] = buf.readDoubleLE(o); break;
      case "INT8": out[i] = buf.readInt8(o); break;
      case "INT16": out[i] = buf.readInt16LE(o); break;
      case "INT32": out[i] = buf.readInt32LE(o); break;
      case "INT64": out[i] = Number(buf.readBigInt64LE(o)); break;
      case "UINT8": out[i] = buf.readUInt8(o); break;
      case "UINT16": out[i] = buf.readUInt16LE(o); break;
      case "UINT32": out[i] = buf.readUInt32LE(o); break;
      case "UINT64": out[i] = Number(buf.readBigUInt64LE(o)); break;
      case "BOOL": out[i] = buf.readUInt8(o) !== 0; break;
    }
  }
  return out;
}

function toParam(field: string, v: unknown): inference.InferParameter {
  if (typeof v === "boolean") return { parameterChoice: { $case: "boolParam", value: v } };
  if (typeof v === "string") return { parameterChoice: { $case: "stringParam", value: v } };
  if (typeof v === "number" && Number.isFinite(v)) return { parameterChoice: Number.isInteger(v) ? { $case: "int64Param", value: v } : { $case: "doubleParam", value: v } };
  throw new InvalidArgumentError(field, `expected a string, number or boolean, got ${JSON.stringify(v)}`);
}

function fromParam(p: inference.InferParameter): unknown {
  return p.parameterChoice?.value;
}

/**
 * The OIP REST (KServe v2 JSON) request body → a gRPC ModelInferRequest with raw tensor bytes.
 * `data` may be flat or nested (row-major); its element count must match `shape`. BYTES tensors
 * are not supported on REST. Errors are INVALID_ARGUMENT naming the JSON field.
 */
export function restToInferRequest(model: string, body: unknown): inference.ModelInferRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new InvalidArgumentError("body", "expected a JSON object with `inputs`");
  const b = body as { id?: unknown; parameters?: unknown; inputs?: unknown; outputs?: unknown };
  if (!Array.isArray(b.inputs) || b.inputs.length === 0) throw new InvalidArgumentError("inputs", "expected a non-empty array of tensors");
  const inputs: inference.ModelInferRequest_InferInputTensor[] = [];
  const raw: Buffer[] = [];
  b.inputs.forEach((t: unknown, i: number) => {
    const f = `inputs[${i}]`;
    const x = t as { name?: unknown; shape?: unknown; datatype?: unknown; data?: unknown };
    if (typeof x?.name !== "string" || x.name === "") throw new InvalidArgumentError(`${f}.name`, "expected a tensor name");
    if (!Array.isArray(x.shape) || !x.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new InvalidArgumentError(`${f}.shape`, "expected an array of non-negative integers");
    if (typeof x.datatype !== "string" || !isNumeric(x.datatype)) throw new InvalidArgumentError(`${f}.datatype`, `expected one of ${Object.keys(BYTES).join(", ")}, got ${JSON.stringify(x.datatype)}`);
    const values: unknown[] = [];
    flatten(x.data, values);
    const count = (x.shape as number[]).reduce((a, d) => a * d, 1);
    if (values.length !== count) throw new InvalidArgumentError(`${f}.data`, `shape [${(x.shape as number[]).join(",")}] needs ${count} elements, got ${values.length}`);
    inputs.push({ name: x.name, datatype: x.datatype, shape: x.shape as number[], parameters: {}, contents: undefined });
    raw.push(encodeValues(`${f}.data`, x.datatype, values));
  });
  const parameters: Record<string, inference.InferParameter> = {};
  if (b.parameters !== undefined) {
    if (typeof b.parameters !== "object" || b.parameters === null || Array.isArray(b.parameters)) throw new InvalidArgumentError("parameters", "expected an object");
    for (const [k, v] of Object.entries(b.parameters)) parameters[k] = toParam(`parameters.${k}`, v);
  }
  const outputs: inference.ModelInferRequest_InferRequestedOutputTensor[] = [];
  if (b.outputs !== undefined) {
    if (!Array.isArray(b.outputs)) throw new InvalidArgumentError("outputs", "expected an array of {name}");
    b.outputs.forEach((o: unknown, i: number) => {
      const name = (o as { name?: unknown })?.name;
      if (typeof name !== "string") throw new InvalidArgumentError(`outputs[${i}].name`, "expected a tensor name");
      outputs.push({ name, parameters: {} });
    });
  }
  if (b.id !== undefined && typeof b.id !== "string") throw new InvalidArgumentError("id", "expected a string");
  return inference.ModelInferRequest.fromPartial({ modelName: model, id: (b.id as string | undefined) ?? "", inputs, rawInputContents: raw, parameters, outputs });
}

/** A gRPC ModelInferResponse → the OIP REST JSON response (`data` flat, row-major). */
export function inferResponseToRest(res: inference.ModelInferResponse): Record<string, unknown> {
  return {
    model_name: res.modelName,
    ...(res.id ? { id: res.id } : {}),
    parameters: Object.fromEntries(Object.entries(res.parameters).map(([k, v]) => [k, fromParam(v)])),
    outputs: res.outputs.map((o, i) => {
      const raw = res.rawOutputContents[i];
      const data = raw && isNumeric(o.datatype) ? decodeValues(o.datatype, raw) : [];
      return { name: o.name, datatype: o.datatype, shape: o.shape, data };
    }),
  };
}
