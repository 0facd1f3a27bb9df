import { describe, expect, it } from "vitest";
import { createZooSession, floatTensor } from "../ort/session.js";
import { GraphBuilder } from "./graph-builder.js";

function buildAffineRelu(): Uint8Array {
  const g = new GraphBuilder("affine");
  const x = g.input("x", "float32", ["N", 3]);
  const w = g.param("w", [3, 2], Float32Array.of(1, -1, 2, 0.5, -3, 1));
  const b = g.param("b", [2], Float32Array.of(0.5, -0.25));
  const y = g.op("Relu", [g.op("Gemm", [x, w, b], { alpha: { f: 1 } })]);
  g.identity(y, "y");
  g.output("y", "float32", ["N", 2]);
  return g.encode();
}

describe("GraphBuilder", () => {
  it("encodes a dynamic-batch model that onnxruntime runs with the expected values", async () => {
    const session = await createZooSession(buildAffineRelu());
    try {
      for (const batch of [1, 8]) {
        const x = Float32Array.from({ length: batch * 3 }, (_, i) => (i % 5) - 2);
        const y = (await session.run({ x: floatTensor(x, [batch, 3]) })).y;
        expect(y?.dims).toEqual([batch, 2]);
        const expected = Array.from({ length: batch * 2 }, (_, k) => {
          const r = Math.floor(k / 2);
          const c = k % 2;
          const w = [
            [1, -1],
            [2, 0.5],
            [-3, 1],
          ];
          const v = [0, 1, 2].reduce((s, i) => s + (x[r * 3 + i] as number) * (w[i]?.[c] as number), c === 0 ? 0.5 : -0.25);
          return Math.max(0, v);
        });
        expect(Array.from(y?.data as Float32Array)).toEqual(expected.map((v) => Math.fround(v)));
      }
    } finally {
      await session.release();
    }
  });

  it("is deterministic and counts parameters", () => {
    expect(Buffer.from(buildAffineRelu()).equals(Buffer.from(buildAffineRelu()))).toBe(true);
    const g = new GraphBuilder("p");
    g.param("w", [2, 2], new Float32Array(4));
    g.constFloat("c", [1], [1]);
    expect(g.paramCount).toBe(4);
  });

  it("rejects mismatched weight sizes, reused names and non-integer INT attributes", () => {
    const g = new GraphBuilder("bad");
    expect(() => g.param("w", [2, 3], new Float32Array(5))).toThrow(/5 values for dims \[2,3\]/);
    g.input("x", "float32", ["N"]);
    expect(() => g.input("x", "float32", ["N"])).toThrow('tensor name "x" is already used in graph bad');
    expect(() => g.op("LeakyRelu", ["x"], { alpha: 0.1 })).toThrow("attribute alpha=0.1 is not an integer; use { f } for floats");
  });
});
