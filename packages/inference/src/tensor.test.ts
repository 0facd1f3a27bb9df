import { describe, expect, it } from "vitest";
import { TensorError } from "./errors.js";
import { checkTensor, concatBatch, splitBatch, transferableBytes } from "./tensor.js";
import type { TensorData } from "./tensor.js";

const f32 = (dims: number[], values: number[]): TensorData => ({ dtype: "float32", dims, data: new Uint8Array(Float32Array.from(values).buffer) });
const values = (t: TensorData): number[] => [...new Float32Array(t.data.slice().buffer)];

describe("checkTensor", () => {
  const cases: ReadonlyArray<[string, TensorData, string | null]> = [
    ["valid float32", f32([2, 2], [1, 2, 3, 4]), null],
    ["valid int64 scalar", { dtype: "int64", dims: [], data: new Uint8Array(8) }, null],
    ["zero rows", { dtype: "uint8", dims: [0, 3], data: new Uint8Array(0) }, null],
    ["too few bytes", { dtype: "float32", dims: [2, 2], data: new Uint8Array(15) }, 'tensor "t": 15 bytes, expected 16 for float32[2,2]'],
    ["fractional dim", { dtype: "int8", dims: [1.5], data: new Uint8Array(1) }, 'tensor "t": dims [1.5] must be integers ≥ 0'],
    ["unknown dtype", { dtype: "bfloat16" as "float16", dims: [1], data: new Uint8Array(2) }, 'tensor "t": unsupported dtype bfloat16'],
  ];
  for (const [name, t, message] of cases) {
    it(name, () => {
      if (message === null) expect(() => checkTensor("t", t)).not.toThrow();
      else expect(() => checkTensor("t", t)).toThrow(new TensorError(message.replace(/^tensor "t": /, ""), { tensor: "t" }));
    });
  }
});

describe("concatBatch / splitBatch", () => {
  it("concatenates along dim 0 into a fresh exact buffer and splits back into views", () => {
    const parts = [f32([1, 2], [1, 2]), f32([2, 2], [3, 4, 5, 6]), f32([1, 2], [7, 8])];
    const batch = concatBatch("x", parts);
    expect(batch.dims).toEqual([4, 2]);
    expect(values(batch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([batch.data.byteOffset, batch.data.byteLength, batch.data.buffer.byteLength]).toEqual([0, 32, 32]);
    const pieces = splitBatch("x", batch, [1, 2, 1]);
    expect(pieces.map((p) => p.dims)).toEqual([[1, 2], [2, 2], [1, 2]]);
    expect(pieces.map(values)).toEqual([[1, 2], [3, 4, 5, 6], [7, 8]]);
    expect(pieces.every((p) => p.data.buffer === batch.data.buffer)).toBe(true);
  });

  it("rejects mismatched parts and wrong split sizes, naming the tensor", () => {
    expect(() => concatBatch("x", [])).toThrow('tensor "x": cannot batch zero tensors');
    expect(() => concatBatch("x", [f32([1, 2], [1, 2]), f32([1, 1], [1])])).toThrow('tensor "x": dims [1,1] do not match [*,2] in the same batch');
    expect(() => concatBatch("x", [f32([1], [1]), { dtype: "int32", dims: [1], data: new Uint8Array(4) }])).toThrow(
      'tensor "x": dtype int32 differs from float32 in the same batch',
    );
    expect(() => splitBatch("y", f32([2, 1], [1, 2]), [1, 2])).toThrow('tensor "y": split rows sum to 3, batch has 2');
  });
});

describe("transferableBytes", () => {
  it("hands over a whole-buffer view as is and copies a sub-view", () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(transferableBytes(whole)).toBe(whole.buffer);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const copy = transferableBytes(backing.subarray(1, 4));
    expect(copy).not.toBe(backing.buffer);
    expect([...new Uint8Array(copy)]).toEqual([1, 2, 3]);
  });
});
