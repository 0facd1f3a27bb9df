import { inference } from "@fulcrum/proto";
import { describe, expect, it } from "vitest";
import { concreteShape, FREE_DIM, unbuildable, validRequest } from "./tensors.js";

const meta = (inputs: Array<[string, string, number[]]>): inference.ModelMetadataResponse =>
  inference.ModelMetadataResponse.fromPartial({ name: "m", inputs: inputs.map(([name, datatype, shape]) => ({ name, datatype, shape })), outputs: [{ name: "y", datatype: "FP32", shape: [-1, 10] }] });

describe("kit test tensors", () => {
  it("fills the batch axis with the rows and other free axes with FREE_DIM", () => {
    expect(concreteShape([-1, 1, 28, 28], 2)).toEqual([2, 1, 28, 28]);
    expect(concreteShape([-1, -1, -1, 3], 1)).toEqual([1, FREE_DIM, FREE_DIM, 3]);
  });

  it("builds raw contents of exactly the bytes each shape needs, deterministic and in range", () => {
    const r = validRequest(meta([["image", "UINT8", [-1, -1, -1, 3]], ["x", "FP32", [-1, 4]]]), 2, "id-1", {});
    expect(r.inputs!.map((t) => t.shape)).toEqual([[2, FREE_DIM, FREE_DIM, 3], [2, 4]]);
    expect(r.rawInputContents!.map((b) => b.byteLength)).toEqual([2 * FREE_DIM * FREE_DIM * 3, 2 * 4 * 4]);
    const floats = new Float32Array(new Uint8Array(r.rawInputContents![1]!).buffer);
    expect([...floats].every((v) => v >= 0 && v < 1)).toBe(true);
    expect(validRequest(meta([["x", "FP32", [-1, 4]]]), 2, "id-2", {}).rawInputContents).toEqual([r.rawInputContents![1]]);
  });

  it("says why it cannot build inputs for a model", () => {
    expect(unbuildable(meta([]))).toBe("ModelMetadata lists no inputs");
    expect(unbuildable(meta([["s", "BYTES", [-1]]]))).toMatch(/"s" has datatype "BYTES"/);
    expect(unbuildable(meta([["x", "FP32", [1, 4]]]))).toMatch(/batch axis 0 declared -1/);
    expect(unbuildable(meta([["x", "FP32", [-1, 4]]]))).toBeUndefined();
  });
});
