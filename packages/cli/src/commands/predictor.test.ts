import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lstmForward, parseLstmWeights } from "@fulcrum/core/forecast";
import { afterAll, describe, expect, it, vi } from "vitest";
import { onnxPathFor, predictorCommand } from "./predictor.js";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-predictor-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fulcrum predictor train", () => {
  it("trains from a CSV and writes weights JSON + ONNX next to each other", async () => {
    const rows = ["second,count"];
    for (let s = 0; s < 1500; s++) rows.push(`${s},${Math.round(40 + 20 * Math.sin(s / 90) + (s % 7))}`);
    const trace = join(dir, "trace.csv");
    writeFileSync(trace, rows.join("\n"));
    const out = join(dir, "model.json");
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await predictorCommand().parseAsync(["train", "--trace", trace, "--out", out, "--epochs", "1", "--hidden", "4", "--stride-bins", "1", "--damping", "2", "--no-progress"], {
        from: "user",
      });
    } finally {
      log.mockRestore();
    }
    const weights = parseLstmWeights(JSON.parse(readFileSync(out, "utf8")));
    expect(weights).toMatchObject({ hiddenSize: 4, windowBins: 12, horizonBins: 2, features: ["peak", "mean"] });
    expect(weights.training?.source).toMatchObject({ kind: "csv", dampingFactor: 2, seconds: 1500 });
    expect(Number.isFinite(lstmForward(weights, { peaks: new Array(12).fill(20), means: new Array(12).fill(18) }))).toBe(true);
    expect(existsSync(join(dir, "model.onnx"))).toBe(true);
  });

  it("trains on the committed Twitter trace, damped by IPA's 8 unless told otherwise", async () => {
    const out = join(dir, "twitter.json");
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await predictorCommand().parseAsync(
        ["train", "--trace", "twitter", "--out", out, "--train-days", "1", "--epochs", "1", "--hidden", "2", "--stride-bins", "40", "--no-progress"],
        { from: "user" },
      );
    } finally {
      log.mockRestore();
    }
    const weights = parseLstmWeights(JSON.parse(readFileSync(out, "utf8")));
    expect(weights.training?.source).toEqual({ kind: "twitter", file: "data/twitter-trace/workload.txt.gz", dampingFactor: 8, trainDays: 1, seconds: 86_400 });
    // The fixed scale is the mean of the (damped) training inputs: the trace's first day is ≈ 6–9 rps after ÷ 8.
    expect(weights.normalization).toMatchObject({ kind: "fixed" });
    const scale = (weights.normalization as { scaleRps: number }).scaleRps;
    expect(scale).toBeGreaterThan(3);
    expect(scale).toBeLessThan(15);
  });

  it("rejects bad options by name", async () => {
    const cmd = predictorCommand().exitOverride();
    for (const sub of cmd.commands) sub.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(cmd.parseAsync(["train", "--trace", "generated", "--out", "x.json", "--epochs", "0"], { from: "user" })).rejects.toThrow(
      "--epochs must be an integer >= 1",
    );
    await expect(cmd.parseAsync(["train", "--trace", "generated", "--out", "x.json", "--features", "peak,median"], { from: "user" })).rejects.toThrow(
      "--features must be distinct names from peak, mean",
    );
  });

  it("puts the ONNX file next to the weights", () => {
    expect(onnxPathFor("models/lstm.json")).toBe("models/lstm.onnx");
    expect(onnxPathFor("weights")).toBe("weights.onnx");
  });
});
