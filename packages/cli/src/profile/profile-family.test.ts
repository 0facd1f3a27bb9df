import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseProfileJson, formatProfile } from "@fulcrum/core/perf";
import { InferencePool } from "@fulcrum/inference";
import { resolveVariant } from "@fulcrum/zoo";
import { ProfileOptionError } from "./errors.js";
import { batchInputs } from "./inputs.js";
import { measurePoints } from "./measure-point.js";
import { profileFamily } from "./profile-family.js";

const modelDir = mkdtempSync(join(tmpdir(), "fulcrum-profile-"));
afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

describe("profileFamily", () => {
  it("measures every (variant, batch, cores) point through the inference pool into a valid profile", async () => {
    const seen: string[] = [];
    const p = await profileFamily({
      family: "fashion",
      variants: ["linear", "mlp"],
      batches: [4, 1],
      cores: [1],
      modelDir,
      maxSecondsPerPoint: 0.2,
      minSamples: 3,
      now: () => new Date("2025-01-02T03:04:05Z"),
      onProgress: (e) => seen.push(e.current ? `${e.done}/${e.total} ${e.current.variant}` : `${e.done}/${e.total} done`),
    });
    expect(parseProfileJson(formatProfile(p), { family: "fashion" })).toEqual(p);
    expect(p.createdAt).toBe("2025-01-02T03:04:05.000Z");
    expect(p.provenance.kind).toBe("measured");
    expect(p.machine!.loadAverage.start).toHaveLength(3);
    expect(p.variants.map((v) => v.name)).toEqual(["linear", "mlp"]);
    const manifest = resolveVariant({ family: "fashion", variant: "mlp", modelDir }).manifest;
    expect(p.variants[1]).toMatchObject({ accuracy: manifest.accuracy, accuracySource: "measured", modelSha256: manifest.sha256 });
    for (const v of p.variants) {
      expect(v.points.map((x) => x.batch)).toEqual([1, 4]);
      for (const pt of v.points) {
        expect(pt.samples).toBeGreaterThanOrEqual(3);
        // Each sample's submit-to-result time contains its session.run time.
        expect(pt.runP50Ms!).toBeLessThanOrEqual(pt.p50Ms!);
        expect(pt.p50Ms!).toBeLessThanOrEqual(pt.p99Ms!);
      }
    }
    expect(seen.at(-1)).toBe("4/4 done");
    expect(seen).toEqual(expect.arrayContaining(["0/4 linear", "2/4 linear", "2/4 mlp", "4/4 mlp"]));
  });

  it("rejects a bad grid and unknown variants by name", async () => {
    await expect(profileFamily({ family: "fashion", batches: [0], modelDir })).rejects.toThrow(ProfileOptionError);
    await expect(profileFamily({ family: "fashion", cores: [1, 1], modelDir })).rejects.toThrow("cores: has duplicates: 1,1");
    await expect(profileFamily({ family: "fashion", variants: ["nope"], modelDir })).rejects.toThrow("nope");
  });
});

describe("measurePoints", () => {
  it("stops at maxSamples when the median never settles, and at the time cap after 3 samples", async () => {
    const model = resolveVariant({ family: "fashion", variant: "linear", modelDir });
    const pool = new InferencePool({ spareWorkers: 0 });
    try {
      const s = await pool.prepare({ modelPath: model.path, cores: 1 });
      const inputs = batchInputs(model.manifest.inputs, 2);
      const rule = { minSamples: 1000, window: 5, relTol: 0.02 };
      const finished: number[] = [];
      const capped = await measurePoints(pool, s.key, [{ batch: 2, inputs }, { batch: 1, inputs: batchInputs(model.manifest.inputs, 1) }], { ...rule, maxSamples: 7, maxSeconds: 60 }, (b) => finished.push(b));
      expect(capped.map((p) => [p.batch, p.samples, p.stable])).toEqual([[2, 7, false], [1, 7, false]]);
      expect(finished.sort()).toEqual([1, 2]);
      const [timed] = await measurePoints(pool, s.key, [{ batch: 2, inputs }], { ...rule, maxSamples: 1000, maxSeconds: 1e-6 });
      expect(timed).toMatchObject({ samples: 3, stable: false });
      // A tolerance of 1000 % is met as soon as the window is full, unless minSeconds holds it open.
      const loose = { minSamples: 1, window: 4, relTol: 10, maxSamples: 100_000, maxSeconds: 60 };
      const [early] = await measurePoints(pool, s.key, [{ batch: 2, inputs }], loose);
      expect(early).toMatchObject({ samples: 5, stable: true });
      const [held] = await measurePoints(pool, s.key, [{ batch: 2, inputs }], { ...loose, minSeconds: 0.3 });
      expect(held!.stable).toBe(true);
      expect(held!.seconds!).toBeGreaterThanOrEqual(0.3);
      expect(held!.samples!).toBeGreaterThan(5);
      // The template survives: the pool is handed copies.
      expect(inputs.input!.data.byteLength).toBe(2 * 28 * 28 * 4);
    } finally {
      await pool.close();
    }
  });
});
