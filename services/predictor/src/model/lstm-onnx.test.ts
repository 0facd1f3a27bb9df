import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LstmWindow } from "@fulcrum/core/forecast";
import { initLstmWeights, lstmForward, makeWindows, parseLstmWeights, trainLstm } from "@fulcrum/core/forecast";
import { createRng } from "@fulcrum/core/rng";
import { afterAll, describe, expect, it } from "vitest";
import { exportLstmToOnnx } from "./lstm-onnx-export.js";
import type { LstmOnnxRunner } from "./lstm-onnx-runner.js";
import { createLstmOnnxRunner } from "./lstm-onnx-runner.js";

const runners: LstmOnnxRunner[] = [];
afterAll(async () => {
  for (const r of runners) await r.dispose();
});

function series(count: number, length: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const level = 0.2 + 60 * rng.next();
    return Array.from({ length }, () => Math.max(0, level * (0.7 + 0.6 * rng.next())));
  });
}

function windows(count: number, length: number, seed: number): LstmWindow[] {
  const means = series(count, length, seed + 1000);
  return series(count, length, seed).map((peaks, n) => ({ peaks, means: means[n] as number[] }));
}

const close = (got: number | undefined, want: number): boolean => Math.abs((got as number) - want) / Math.max(1, Math.abs(want)) < 1e-4;

describe("LSTM export to ONNX", () => {
  it.each([[["peak"]], [["peak", "mean"]]] as const)(
    "ONNX Runtime and the TypeScript forward pass agree within 1e-4 (random weights, window-mean scale, dynamic batch, features %j)",
    async (features) => {
      const weights = initLstmWeights({ hiddenSize: 25, windowBins: 12, features: [...features] }, createRng(5));
      weights.b = weights.b.map((v, i) => v + Math.sin(i));
      const runner = await createLstmOnnxRunner(exportLstmToOnnx(weights), weights);
      runners.push(runner);
      for (const batch of [1, 7, 64]) {
        const xs = windows(batch, 12, batch);
        const got = await runner.predict(xs);
        expect(got).toHaveLength(batch);
        xs.forEach((x, n) => expect(close(got[n], lstmForward(weights, x))).toBe(true));
      }
    },
  );

  it("agrees for a trained model (fixed scale) and another window length", async () => {
    const peaks = (series(1, 400, 11)[0] as number[]).map((v, t) => v + 10 * Math.sin(t / 9));
    const means = peaks.map((v) => 0.7 * v);
    const data = makeWindows(peaks, 6, 2, 1, means);
    const { weights } = trainLstm(data, { seed: 2, hiddenSize: 8, windowBins: 6, epochs: 2, batchSize: 32, features: ["peak", "mean"] });
    expect(weights.normalization.kind).toBe("fixed");
    const runner = await createLstmOnnxRunner(exportLstmToOnnx(weights), weights);
    runners.push(runner);
    const xs = windows(20, 6, 99);
    const got = await runner.predict(xs);
    xs.forEach((x, n) => expect(close(got[n], lstmForward(weights, x))).toBe(true));
    await expect(runner.predict([{ peaks: [1, 2, 3, 4, 5, 6] }])).rejects.toThrow('window 0: LSTM weights features: input "mean" needs 6 bins, got 0');
  });
});

describe("committed models", () => {
  const dir = fileURLToPath(new URL("../../models/", import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));

  it("include the service's default", () => {
    expect(files).toContain("lstm-default.json");
  });

  it.each(files)("%s parses, matches IPA's shape, and its committed .onnx agrees with the TypeScript forward pass", async (file) => {
    const weights = parseLstmWeights(JSON.parse(readFileSync(join(dir, file), "utf8")));
    expect(weights).toMatchObject({ hiddenSize: 25, windowBins: 12, horizonBins: 2, binS: 10 });
    const runner = await createLstmOnnxRunner(join(dir, file.replace(/\.json$/, ".onnx")), weights);
    runners.push(runner);
    const xs = windows(50, weights.windowBins, 7);
    const got = await runner.predict(xs);
    xs.forEach((x, n) => expect(close(got[n], lstmForward(weights, x))).toBe(true));
  });
});
