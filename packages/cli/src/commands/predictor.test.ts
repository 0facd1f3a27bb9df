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
    expect(weights.training?.source).toMatchObject({ kind: "csv", dampingFactors: [2], seconds: 1500 });
    expect(weights.normalization).toEqual({ kind: "window-mean" });
    // Provenance: the exact command that reproduces the model, and the commit it ran from.
    expect(weights.training?.command).toBe(
      `fulcrum predictor train --trace ${trace} --out ${out} --seed 7 --epochs 1 --stride-bins 1 --damping 2 --hidden 4 --bin-s 10 --window-s 120 --horizon-s 20 --features peak,mean --normalization window-mean`,
    );
    expect(weights.training?.revision).toMatchObject({ commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(Number.isFinite(lstmForward(weights, { peaks: new Array(12).fill(20), means: new Array(12).fill(18) }))).toBe(true);
    expect(existsSync(join(dir, "model.onnx"))).toBe(true);
  });

  it("trains on the committed Twitter trace at full scale and IPA's ÷ 8 together, scale-free; a fixed scale only at ÷ 8", async () => {
    const out = join(dir, "twitter.json");
    const fixedOut = join(dir, "twitter-fixed.json");
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const args = ["train", "--trace", "twitter", "--train-days", "1", "--epochs", "1", "--hidden", "2", "--stride-bins", "40", "--no-progress"];
    const lines: string[] = [];
    log.mockImplementation((line: string) => void lines.push(line));
    try {
      await predictorCommand().parseAsync([...args, "--out", out], { from: "user" });
      await predictorCommand().parseAsync([...args, "--out", fixedOut, "--normalization", "fixed"], { from: "user" });
    } finally {
      log.mockRestore();
    }
    const weights = parseLstmWeights(JSON.parse(readFileSync(out, "utf8")));
    expect(weights.training?.source).toEqual({ kind: "twitter", file: "data/twitter-trace/workload.txt.gz", dampingFactors: [1, 8], trainDays: 1, seconds: 86_400 });
    expect(weights.normalization).toEqual({ kind: "window-mean" });
    // One day = 8640 bins; 12-bin windows + 2-bin horizon every 40 bins → 216 per scale (the ÷ 8 scale starting 20 bins in).
    expect(lines[0]).toContain("at damping 1, 8 → 432 samples");
    const fixed = parseLstmWeights(JSON.parse(readFileSync(fixedOut, "utf8")));
    expect(fixed.training?.source).toMatchObject({ dampingFactors: [8] });
    // The fixed scale is the mean of the (damped) training inputs: the trace's first day is ≈ 6–9 rps after ÷ 8.
    const scale = (fixed.normalization as { scaleRps: number }).scaleRps;
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
    await expect(cmd.parseAsync(["train", "--trace", "twitter", "--out", "x.json", "--damping", "1,0"], { from: "user" })).rejects.toThrow(
      '--damping must be a comma-separated list of distinct numbers > 0, got "1,0"',
    );
    await expect(
      cmd.parseAsync(["train", "--trace", "generated", "--out", "x.json", "--damping", "1,8", "--normalization", "fixed"], { from: "user" }),
    ).rejects.toThrow('--damping 1,8: a "fixed" scale is learned from one scale of the trace');
  });

  it("puts the ONNX file next to the weights", () => {
    expect(onnxPathFor("models/lstm.json")).toBe("models/lstm.onnx");
    expect(onnxPathFor("weights")).toBe("weights.onnx");
  });
});
