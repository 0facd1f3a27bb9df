import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeMlpModel } from "@fulcrum/inference/testing";
import { measureBareSession } from "./_bare-session.js";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-bare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("measureBareSession", () => {
  it("times back-to-back runs in a worker and reports the median repetition", async () => {
    const { path } = writeMlpModel(dir, "m", { inputSize: 16, hiddenSizes: [16], outputSize: 4, seed: 5 });
    const r = await measureBareSession({ modelPath: path, batchSize: 4, threads: 1, durationS: 0.1, repetitions: 3, warmupRuns: 1 });
    expect(r.repetitions).toHaveLength(3);
    for (const rep of r.repetitions) {
      expect(rep.runs).toBeGreaterThan(0);
      expect(rep.itemsPerSecond).toBeCloseTo((rep.runs * 4) / rep.seconds, 6);
    }
    const sorted = r.repetitions.map((x) => x.itemsPerSecond).sort((a, b) => a - b);
    expect(r.itemsPerSecond).toBe(sorted[1]);
    expect(r.runP50Ms).toBeGreaterThan(0);
    expect(r.runP99Ms).toBeGreaterThanOrEqual(r.runP50Ms);
  });

  it("with intervalMs, starts runs on that schedule (the thread idle in between) instead of back to back", async () => {
    const { path } = writeMlpModel(dir, "paced", { inputSize: 16, hiddenSizes: [16], outputSize: 4, seed: 5 });
    const r = await measureBareSession({ modelPath: path, batchSize: 1, threads: 1, durationS: 0.5, repetitions: 1, warmupRuns: 1, intervalMs: 50 });
    // 0.5 s at one run per 50 ms: no run starts before its slot, so the one at 500 ms ends the
    // repetition: at most 11 runs, never the thousands back to back gives. Fewer only if a stalled
    // machine delays a start past the end (CI is busy: allow a lot of that).
    expect(r.repetitions[0]!.runs).toBeGreaterThanOrEqual(4);
    expect(r.repetitions[0]!.runs).toBeLessThanOrEqual(11);
  });

  it("refuses a negative intervalMs", async () => {
    await expect(measureBareSession({ modelPath: join(dir, "x.onnx"), batchSize: 1, threads: 1, intervalMs: -1 })).rejects.toThrow("intervalMs must be ≥ 0");
  });

  it("fails with the model path named when the model cannot load", async () => {
    const missing = join(dir, "missing.onnx");
    await expect(measureBareSession({ modelPath: missing, batchSize: 1, threads: 1, durationS: 0.1 })).rejects.toThrow(
      `bare session.run on ${missing} failed`,
    );
  });
});
