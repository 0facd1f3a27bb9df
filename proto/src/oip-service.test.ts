import { describe, expect, it, vi } from "vitest";
import { ModelInferRequest, ModelInferResponse, GRPCInferenceServiceService as Generated } from "./gen/inference/grpc_predict_v2.js";
import { encodeModelInferRequest, encodeModelInferResponse, GRPCInferenceServiceClient, GRPCInferenceServiceService } from "./oip-service.js";

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

// Sizes around the varint length boundaries (127/128, 16383/16384, 2²¹) and a ResNet input.
const SIZES = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 602_112];

describe("one-copy ModelInfer serializers", () => {
  it.each(SIZES)("encode a request with a %i-byte tensor exactly as the generated encoder does", (n) => {
    const msg = ModelInferRequest.fromPartial({
      modelName: "classifier",
      modelVersion: "1",
      id: "lg-1-7",
      parameters: { slo_ms: { parameterChoice: { $case: "doubleParam", value: 300 } }, request_id: { parameterChoice: { $case: "stringParam", value: "lg-1-7" } } },
      inputs: [
        { name: "input", datatype: "UINT8", shape: [1, n] },
        { name: "mask", datatype: "UINT8", shape: [1, 3] },
      ],
      outputs: [{ name: "probs" }],
      rawInputContents: [bytes(n, 1), bytes(3, 2)],
    });
    const fast = encodeModelInferRequest(msg);
    expect(Buffer.compare(fast, Buffer.from(ModelInferRequest.encode(msg).finish()))).toBe(0);
    const back = ModelInferRequest.decode(fast);
    expect({ ...back, rawInputContents: [] }).toEqual({ ...msg, rawInputContents: [] });
    expect(back.rawInputContents.map((r) => Buffer.compare(r, msg.rawInputContents[back.rawInputContents.indexOf(r)]!))).toEqual([0, 0]);
  });

  it.each(SIZES)("encode a response with a %i-byte tensor exactly as the generated encoder does", (n) => {
    const msg = ModelInferResponse.fromPartial({
      modelName: "classifier",
      id: "x",
      parameters: { variant: { parameterChoice: { $case: "stringParam", value: "resnet18" } }, batch_size: { parameterChoice: { $case: "int64Param", value: 8 } } },
      outputs: [{ name: "probs", datatype: "FP32", shape: [1, n] }],
      rawOutputContents: [bytes(n, 3)],
    });
    expect(Buffer.compare(encodeModelInferResponse(msg), Buffer.from(ModelInferResponse.encode(msg).finish()))).toBe(0);
  });

  it("encodes messages without tensor bytes (typed contents) as the generated encoder does", () => {
    const req = ModelInferRequest.fromPartial({ modelName: "m", inputs: [{ name: "x", datatype: "FP32", shape: [1, 2], contents: { fp32Contents: [1.5, -2] } }] });
    const res = ModelInferResponse.fromPartial({ modelName: "m", outputs: [{ name: "y", datatype: "INT32", shape: [1], contents: { intContents: [7] } }] });
    expect(Buffer.compare(encodeModelInferRequest(req), Buffer.from(ModelInferRequest.encode(req).finish()))).toBe(0);
    expect(Buffer.compare(encodeModelInferResponse(res), Buffer.from(ModelInferResponse.encode(res).finish()))).toBe(0);
  });

  it("never passes the tensor bytes through the generated writer, and leaves the caller's message untouched", () => {
    const raw = bytes(50_000, 4);
    const msg = ModelInferRequest.fromPartial({ modelName: "m", inputs: [{ name: "x", datatype: "UINT8", shape: [1, 50_000] }], rawInputContents: [raw] });
    // The generated encoder is what doubles, slices and copies: it may only see the message without its tensors.
    const encode = vi.spyOn(ModelInferRequest, "encode");
    try {
      encodeModelInferRequest(msg);
      expect(encode).toHaveBeenCalledTimes(1);
      expect(encode.mock.calls[0]![0].rawInputContents).toEqual([]);
    } finally {
      encode.mockRestore();
    }
    expect(msg.rawInputContents).toEqual([raw]);
    const res = ModelInferResponse.fromPartial({ modelName: "m", outputs: [{ name: "y", datatype: "UINT8", shape: [1, 50_000] }], rawOutputContents: [raw] });
    const encodeRes = vi.spyOn(ModelInferResponse, "encode");
    try {
      encodeModelInferResponse(res);
      expect(encodeRes.mock.calls.map((c) => c[0].rawOutputContents)).toEqual([[]]);
    } finally {
      encodeRes.mockRestore();
    }
  });

  it("serves and calls ModelInfer through them; every other method is the generated one", () => {
    expect(GRPCInferenceServiceService.modelInfer.requestSerialize).toBe(encodeModelInferRequest);
    expect(GRPCInferenceServiceService.modelInfer.responseSerialize).toBe(encodeModelInferResponse);
    expect(GRPCInferenceServiceService.modelInfer.path).toBe(Generated.modelInfer.path);
    expect(GRPCInferenceServiceService.serverReady).toBe(Generated.serverReady);
    expect(GRPCInferenceServiceClient.service).toBe(GRPCInferenceServiceService);
  });
});
