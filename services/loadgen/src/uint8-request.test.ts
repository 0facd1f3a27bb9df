import { describe, expect, it } from "vitest";
import { uint8Request } from "./uint8-request.js";

describe("uint8Request", () => {
  it("carries one UINT8 row of the given shape, one byte per element, the same for the same seed", () => {
    const r = uint8Request("p", "image", [64, 64, 3], 7);
    expect(r.inputs).toEqual([{ name: "image", datatype: "UINT8", shape: [1, 64, 64, 3], parameters: {}, contents: undefined }]);
    expect(r.rawInputContents![0]!.byteLength).toBe(64 * 64 * 3);
    expect(uint8Request("p", "image", [64, 64, 3], 7).rawInputContents![0]).toEqual(r.rawInputContents![0]);
    // Noise, not a constant image.
    expect(new Set(r.rawInputContents![0]!).size).toBeGreaterThan(200);
  });
});
