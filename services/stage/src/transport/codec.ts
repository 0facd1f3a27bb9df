/**
 * The one place where protobuf messages (OIP and the control plane) meet the stage's domain types. Decoding validates
 * everything a client can get wrong and throws `InvalidArgumentError` naming the field.
 */
import { InvalidArgumentError } from "@fulcrum/core";
import type { ReplicaState } from "@fulcrum/core/control";
import type { StageWindow } from "@fulcrum/core/metrics";
import { OIP_PARAM } from "@fulcrum/core/oip";
import { DTYPE_BYTES, elementCount, type TensorData, type TensorDtype } from "@fulcrum/inference";
import type { control, inference } from "@fulcrum/proto";
import { oipParam, readFulcrumParams, toPbAck, toPbRegistryEntry, toPbStageMetrics } from "@fulcrum/runtime";

/** OIP datatype names ↔ onnxruntime element types. */
const OIP_TO_DTYPE: Readonly<Record<string, TensorDtype>> = {
  BOOL: "bool",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  UINT64: "uint64",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  INT64: "int64",
  FP16: "float16",
  FP32: "float32",
  FP64: "float64",
};
const DTYPE_TO_OIP: Readonly<Record<TensorDtype, string>> = Object.fromEntries(
  Object.entries(OIP_TO_DTYPE).map(([k, v]) => [v, k]),
) as Record<TensorDtype, string>;

/** OIP datatype name of an onnxruntime element type (`float32` → `FP32`). */
export function oipDatatype(dtype: TensorDtype): string {
  return DTYPE_TO_OIP[dtype];
}

/** One declared model input/output: fixed dims are numbers, the free batch dimension is -1. */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
}

/** What the stage serves, as clients see it (OIP ModelMetadata). */
export interface ModelSignature {
  /** OIP model name = the stage name. */
  readonly name: string;
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
}

/** Request limits the codec enforces. */
export interface DecodeLimits {
  /** Largest sum of input bytes. */
  readonly maxRequestBytes: number;
  /** Largest batch dimension of one request. */
  readonly maxRowsPerRequest: number;
}

/** A validated inference request. */
export interface StageRequest {
  /** OIP request id (echoed in the response). */
  readonly id: string;
  /** Caller's correlation id (`request_id` parameter, else the OIP id). */
  readonly requestId: string;
  /** Inputs by name, each with batch dimension `rows`. */
  readonly inputs: Readonly<Record<string, TensorData>>;
  /** Batch dimension shared by every input (≥ 1). */
  readonly rows: number;
  /** Absolute deadline from `deadline_unix_ms`, if given. */
  readonly deadlineUnixMs?: number;
  /** Relative budget from `slo_ms`, if given. */
  readonly sloMs?: number;
  /** Outputs to return (all when empty). */
  readonly outputs: readonly string[];
}

/** What the stage returns for one request. */
export interface StageResponse {
  readonly id: string;
  readonly outputs: Readonly<Record<string, TensorData>>;
  readonly variant: string;
  readonly queueMs: number;
  readonly stageLatencyMs: number;
  readonly batchSize: number;
  /** `session.run` time of the batch, ms. */
  readonly sessionRunMs: number;
}

/** Reads typed `contents` (for clients that do not send raw bytes) as little-endian bytes. */
function contentsToBytes(field: string, dtype: TensorDtype, count: number, c: inference.InferTensorContents): Uint8Array {
  const pick = (): ArrayLike<number | boolean> => {
    switch (dtype) {
      case "float32":
        return c.fp32Contents;
      case "float64":
        return c.fp64Contents;
      case "int8":
      case "int16":
      case "int32":
        return c.intContents;
      case "uint8":
      case "uint16":
      case "uint32":
        return c.uintContents;
      case "int64":
        return c.int64Contents;
      case "uint64":
        return c.uint64Contents;
      case "bool":
        return c.boolContents;
      default:
        throw new InvalidArgumentError(`${field}.contents`, `typed contents are not supported for ${oipDatatype(dtype)}; send raw_input_contents`);
    }
  };
  const values = pick();
  if (values.length !== count) throw new InvalidArgumentError(`${field}.contents`, `has ${values.length} values, shape needs ${count}`);
  const bytes = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) {
    const v = values[i] as number | boolean;
    switch (dtype) {
      case "float32": view.setFloat32(i * 4, v as number, true); break;
      case "float64": view.setFloat64(i * 8, v as number, true); break;
      case "int8": view.setInt8(i, v as number); break;
      case "int16": view.setInt16(i * 2, v as number, true); break;
      case "int32": view.setInt32(i * 4, v as number, true); break;
      case "uint8": view.setUint8(i, v as number); break;
      case "uint16": view.setUint16(i * 2, v as number, true); break;
      case "uint32": view.setUint32(i * 4, v as number, true); break;
      case "int64": view.setBigInt64(i * 8, BigInt(v as number), true); break;
      case "uint64": view.setBigUint64(i * 8, BigInt(v as number), true); break;
      case "bool": view.setUint8(i, v ? 1 : 0); break;
    }
  }
  return bytes;
}

function findByName<T extends { readonly name: string }>(list: readonly T[], name: string): T | undefined {
  for (const x of list) if (x.name === name) return x;
  return undefined;
}

/** Same rank, integer dims, fixed dims equal, the free (negative) dim ≥ 1. */
function shapeMatches(shape: readonly number[], declared: readonly number[]): boolean {
  if (shape.length !== declared.length) return false;
  for (let k = 0; k < shape.length; k++) {
    const d = shape[k]!;
    const want = declared[k]!;
    if (!Number.isInteger(d) || (want >= 0 ? d !== want : d < 1)) return false;
  }
  return true;
}

/**
 * Validates and converts an OIP ModelInferRequest for the model `signature`. Throws
 * `InvalidArgumentError` naming the field for: an unknown model name, no inputs, an unknown,
 * duplicate or missing input, a wrong datatype or shape, inconsistent batch dimensions, byte
 * lengths that do not match the shape, a request over the size limit, bad parameters, and
 * unknown requested outputs.
 */
export function decodeInferRequest(req: inference.ModelInferRequest, signature: ModelSignature, limits: DecodeLimits): StageRequest {
  if (req.modelName !== signature.name) {
    throw new InvalidArgumentError("model_name", `unknown model "${req.modelName}": this stage serves "${signature.name}"`);
  }
  if (req.inputs.length === 0) {
    throw new InvalidArgumentError("inputs", `no input tensors; the model expects ${signature.inputs.map((i) => `"${i.name}"`).join(", ")}`);
  }
  const useRaw = req.rawInputContents.length > 0;
  if (useRaw && req.rawInputContents.length !== req.inputs.length) {
    throw new InvalidArgumentError("raw_input_contents", `has ${req.rawInputContents.length} entries for ${req.inputs.length} inputs`);
  }
  let totalBytes = 0;
  for (const raw of req.rawInputContents) totalBytes += raw.byteLength;
  if (totalBytes > limits.maxRequestBytes) {
    throw new InvalidArgumentError("raw_input_contents", `request carries ${totalBytes} bytes, more than the limit of ${limits.maxRequestBytes}`);
  }

  const inputs: Record<string, TensorData> = {};
  let rows: number | undefined;
  // Field names and expectations are spelled out only on the error paths: the happy path builds no strings.
  for (let i = 0; i < req.inputs.length; i++) {
    const input = req.inputs[i]!;
    const sig = findByName(signature.inputs, input.name);
    if (!sig) {
      throw new InvalidArgumentError(`inputs[${i}].name`, `unknown input "${input.name}"; the model expects ${signature.inputs.map((s) => `"${s.name}"`).join(", ")}`);
    }
    if (Object.hasOwn(inputs, input.name)) throw new InvalidArgumentError(`inputs[${i}].name`, `input "${input.name}" is given twice`);
    const dtype = OIP_TO_DTYPE[input.datatype];
    if (dtype === undefined) throw new InvalidArgumentError(`inputs[${i}].datatype`, `unsupported datatype "${input.datatype}"`);
    if (dtype !== sig.dtype) {
      throw new InvalidArgumentError(`inputs[${i}].datatype`, `input "${input.name}" must be ${oipDatatype(sig.dtype)}, got ${input.datatype}`);
    }
    const shape = input.shape;
    if (!shapeMatches(shape, sig.shape)) {
      const expected = `[${sig.shape.map((d) => (d < 0 ? "N" : String(d))).join(",")}]`;
      throw new InvalidArgumentError(`inputs[${i}].shape`, `input "${input.name}" has shape [${shape.join(",")}], expected ${expected}`);
    }
    const r = sig.shape[0]! < 0 ? shape[0]! : 1;
    if (r > limits.maxRowsPerRequest) {
      throw new InvalidArgumentError(`inputs[${i}].shape`, `batch dimension ${r} exceeds the per-request limit of ${limits.maxRowsPerRequest}`);
    }
    if (rows !== undefined && r !== rows) throw new InvalidArgumentError(`inputs[${i}].shape`, `batch dimension ${r} differs from the other inputs' ${rows}`);
    rows = r;
    const count = elementCount(shape);
    let data: Uint8Array;
    if (useRaw) {
      data = req.rawInputContents[i]!;
      const want = count * DTYPE_BYTES[dtype];
      if (data.byteLength !== want) {
        throw new InvalidArgumentError(`raw_input_contents[${i}]`, `input "${input.name}" has ${data.byteLength} bytes, shape [${shape.join(",")}] of ${input.datatype} needs ${want}`);
      }
    } else if (input.contents) {
      data = contentsToBytes(`inputs[${i}]`, dtype, count, input.contents);
    } else {
      throw new InvalidArgumentError(`inputs[${i}].contents`, `input "${input.name}" has no data (neither raw_input_contents nor contents)`);
    }
    inputs[input.name] = { dtype, dims: shape, data };
  }
  const missing = signature.inputs.filter((s) => !Object.hasOwn(inputs, s.name));
  if (missing.length > 0) throw new InvalidArgumentError("inputs", `missing input ${missing.map((s) => `"${s.name}"`).join(", ")}`);

  const outputs = req.outputs.map((o, i) => {
    if (!signature.outputs.some((s) => s.name === o.name)) {
      throw new InvalidArgumentError(`outputs[${i}].name`, `unknown output "${o.name}"; the model has ${signature.outputs.map((s) => `"${s.name}"`).join(", ")}`);
    }
    return o.name;
  });
  const { sloMs, deadlineUnixMs, requestId } = readFulcrumParams(req.parameters);
  return {
    id: req.id,
    requestId: requestId ?? req.id,
    inputs,
    rows: rows ?? 1,
    outputs,
    ...(deadlineUnixMs !== undefined ? { deadlineUnixMs } : {}),
    ...(sloMs !== undefined ? { sloMs } : {}),
  };
}

/** Builds the OIP response: outputs as raw bytes, Fulcrum's response parameters. */
export function encodeInferResponse(modelName: string, res: StageResponse, requested: readonly string[]): inference.ModelInferResponse {
  const names = requested.length > 0 ? requested : Object.keys(res.outputs);
  const outputs: inference.ModelInferResponse_InferOutputTensor[] = [];
  const raw: Buffer[] = [];
  for (const name of names) {
    const t = res.outputs[name]!;
    outputs.push({ name, datatype: oipDatatype(t.dtype), shape: [...t.dims], parameters: {}, contents: undefined });
    raw.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return {
    modelName,
    modelVersion: "",
    id: res.id,
    parameters: {
      [OIP_PARAM.variant]: oipParam.str(res.variant),
      [OIP_PARAM.queueMs]: oipParam.double(res.queueMs),
      [OIP_PARAM.stageLatencyMs]: oipParam.double(res.stageLatencyMs),
      [OIP_PARAM.batchSize]: oipParam.int(res.batchSize),
      [OIP_PARAM.sessionRunMs]: oipParam.double(res.sessionRunMs),
    },
    outputs,
    rawOutputContents: raw,
  };
}

/** OIP ModelMetadata of a signature. */
export function encodeModelMetadata(signature: ModelSignature, platform: string): inference.ModelMetadataResponse {
  const meta = (t: TensorSignature): inference.ModelMetadataResponse_TensorMetadata => ({ name: t.name, datatype: oipDatatype(t.dtype), shape: [...t.shape] });
  return { name: signature.name, versions: [], platform, inputs: signature.inputs.map(meta), outputs: signature.outputs.map(meta) };
}

/** Who a control-plane message is from. */
export interface InstanceId {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
}

/** What the replica serves now, for metrics and the registry (all zero before a model loads). */
export interface ServingSnapshot {
  readonly variant: string;
  readonly cores: number;
  readonly batchSize: number;
  readonly assignmentVersion: number;
}

/** An applied (or refused) Assignment version → AssignmentAck. */
export function ackMessage(id: InstanceId, o: { version: number; applied: boolean; applyMs: number; error?: string }, nowUnixMs: number): control.AssignmentAck {
  return toPbAck({ ...id, version: o.version, applied: o.applied, applyMs: o.applyMs, appliedAtMs: nowUnixMs, ...(o.error !== undefined ? { error: o.error } : {}) });
}

/** One metrics window → StageMetrics. */
export function stageMetricsMessage(id: InstanceId, w: StageWindow, serving: ServingSnapshot, queueLength: number, cpuSeconds: number): control.StageMetrics {
  return toPbStageMetrics({ ...id, ...w, queueLength, ...serving, cpuSeconds });
}

/** The replica's registration → RegistryEntry. */
export function registryEntryMessage(
  id: InstanceId,
  r: { address: string; serving: ServingSnapshot; state: ReplicaState; startedUnixMs: number; readyUnixMs: number; variants: readonly string[] },
  nowUnixMs: number,
): control.RegistryEntry {
  const { variant, cores, batchSize, assignmentVersion } = r.serving;
  return toPbRegistryEntry({
    ...id, address: r.address, variant, cores, batch: batchSize, assignmentVersion, heartbeatMs: nowUnixMs, startedMs: r.startedUnixMs,
    ...(r.readyUnixMs > 0 ? { readyMs: r.readyUnixMs } : {}), state: r.state, variants: r.variants,
  });
}
