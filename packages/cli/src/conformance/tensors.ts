import type { inference } from "@fulcrum/proto";

/** Bytes per element of the OIP datatypes the kit can build (BYTES has no fixed size). */
export const OIP_DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
};

/**
 * Size the kit gives a free (-1) dimension that is not the batch axis. The contract says -1 off
 * axis 0 means "any size ≥ 1", so any value must work; 5 is small and not a power of two.
 */
export const FREE_DIM = 5;

/** A tensor's concrete shape for `rows` rows: axis 0 is the batch, other -1 dims get {@link FREE_DIM}. */
export function concreteShape(declared: readonly number[], rows: number): number[] {
  return declared.map((d, i) => (d >= 0 ? d : i === 0 ? rows : FREE_DIM));
}

/** Element count of a shape. */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Deterministic, in-range test data: floats in [0, 1), integers cycling through small values. */
function fill(datatype: string, count: number): Buffer {
  const size = OIP_DTYPE_BYTES[datatype]!;
  const buf = Buffer.alloc(count * size);
  for (let i = 0; i < count; i++) {
    const k = (i * 37) % 251;
    if (datatype === "FP32") buf.writeFloatLE(k / 251, i * 4);
    else if (datatype === "FP64") buf.writeDoubleLE(k / 251, i * 8);
    else if (datatype === "UINT8") buf.writeUInt8(k, i);
    else if (datatype === "BOOL") buf.writeUInt8(k % 2, i);
  }
  return buf;
}

/** Why the kit cannot build inputs for a model, or undefined when it can. */
export function unbuildable(model: inference.ModelMetadataResponse): string | undefined {
  if (model.inputs.length === 0) return "ModelMetadata lists no inputs";
  const bad = model.inputs.find((t) => OIP_DTYPE_BYTES[t.datatype] === undefined);
  if (bad) return `input "${bad.name}" has datatype "${bad.datatype}", for which the kit cannot build test data`;
  const noBatch = model.inputs.find((t) => t.shape[0] !== -1);
  if (noBatch) return `input "${noBatch.name}" has shape [${noBatch.shape.join(",")}]: the contract needs the batch axis 0 declared -1`;
  return undefined;
}

/** A valid ModelInferRequest for `model` with `rows` rows, raw little-endian contents. */
export function validRequest(model: inference.ModelMetadataResponse, rows: number, id: string, parameters: Record<string, inference.InferParameter>): Partial<inference.ModelInferRequest> {
  const inputs = model.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: concreteShape(t.shape, rows), parameters: {}, contents: undefined }));
  return {
    modelName: model.name,
    id,
    inputs,
    rawInputContents: inputs.map((t) => fill(t.datatype, elements(t.shape))),
    parameters,
  };
}
