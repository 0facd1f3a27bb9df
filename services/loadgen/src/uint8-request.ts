import { createRng } from "@fulcrum/core";
import type { inference } from "@fulcrum/proto";

/**
 * A one-row OIP request with a UINT8 input of shape `[1, ...tail]` (e.g. an RGB image `[H, W, 3]`),
 * filled with noise bytes drawn from `seed`, so every run sends the same image and a resize has
 * real pixels to work on.
 */
export function uint8Request(model: string, input: string, tail: readonly number[], seed: number): Partial<inference.ModelInferRequest> {
  const rng = createRng(seed);
  const bytes = Buffer.alloc(tail.reduce((a, b) => a * b, 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng.next() * 256);
  return {
    modelName: model,
    id: "",
    inputs: [{ name: input, datatype: "UINT8", shape: [1, ...tail], parameters: {}, contents: undefined }],
    rawInputContents: [bytes],
    parameters: {},
  };
}
