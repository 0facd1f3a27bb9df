import { describe, expect, it } from "vitest";
import { inference } from "@fulcrum/proto";
import { inferResponseToRest, restToInferRequest } from "./rest-codec.js";

describe("REST ↔ OIP", () => {
  it("encodes nested JSON data as raw little-endian bytes and parameters by type", () => {
    const req = restToInferRequest("p", {
      id: "r1",
      parameters: { slo_ms: 250, ratio: 0.5, request_id: "abc", fast: true },
      inputs: [{ name: "input", shape: [1, 2, 2], datatype: "FP32", data: [[[1, 2], [3, 4.5]]] }],
      outputs: [{ name: "logits" }],
    });
    expect(req.modelName).toBe("p");
    expect(req.inputs[0]).toMatchObject({ name: "input", datatype: "FP32", shape: [1, 2, 2] });
    expect([...new Float32Array(new Uint8Array(req.rawInputContents[0]!).buffer)]).toEqual([1, 2, 3, 4.5]);
    expect(req.parameters.slo_ms?.parameterChoice).toEqual({ $case: "int64Param", value: 250 });
    expect(req.parameters.ratio?.parameterChoice).toEqual({ $case: "doubleParam", value: 0.5 });
    expect(req.parameters.fast?.parameterChoice).toEqual({ $case: "boolParam", value: true });
    expect(req.outputs.map((o) => o.name)).toEqual(["logits"]);
  });

  it.each([
    [null, "body: expected a JSON object with `inputs`"],
    [{ inputs: [] }, "inputs: expected a non-empty array of tensors"],
    [{ inputs: [{ name: "x", shape: [2], datatype: "FP32", data: [1] }] }, "inputs[0].data: shape [2] needs 2 elements, got 1"],
    [{ inputs: [{ name: "x", shape: [1], datatype: "BYTES", data: ["a"] }] }, 'inputs[0].datatype: expected one of FP32, FP64, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL, got "BYTES"'],
    [{ inputs: [{ name: "x", shape: [1], datatype: "FP32", data: ["a"] }] }, 'inputs[0].data[0]: expected a finite number, got "a"'],
    [{ inputs: [{ name: "x", shape: [-1], datatype: "FP32", data: [] }] }, "inputs[0].shape: expected an array of non-negative integers"],
    [{ inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }], parameters: { a: null } }, "parameters.a: expected a string, number or boolean, got null"],
  ])("rejects %j with a message naming the field", (body, message) => {
    expect(() => restToInferRequest("p", body)).toThrow(message);
  });

  it("decodes raw outputs to flat JSON data with the response parameters", () => {
    const res = inference.ModelInferResponse.fromPartial({
      modelName: "p",
      id: "r1",
      outputs: [{ name: "logits", datatype: "FP32", shape: [1, 3] }, { name: "ids", datatype: "INT64", shape: [2] }],
      rawOutputContents: [Buffer.from(new Float32Array([0.5, -1, 2]).buffer), Buffer.from(new BigInt64Array([7n, -3n]).buffer)],
      parameters: { variant: { parameterChoice: { $case: "stringParam", value: "s=linear" } } },
    });
    expect(inferResponseToRest(res)).toEqual({
      model_name: "p",
      id: "r1",
      parameters: { variant: "s=linear" },
      outputs: [
        { name: "logits", datatype: "FP32", shape: [1, 3], data: [0.5, -1, 2] },
        { name: "ids", datatype: "INT64", shape: [2], data: [7, -3] },
      ],
    });
  });
});
