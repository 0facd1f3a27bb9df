import { describe, expect, it } from "vitest";
import { ProfileError } from "./errors.js";
import { formatProfile, parseProfile, parseProfileJson, PROFILE_SCHEMA_VERSION } from "./profile-schema.js";

/** A valid measured profile; tests break one field at a time. */
function doc(): Record<string, unknown> & { variants: (Record<string, unknown> & { points: Record<string, unknown>[] })[] } {
  return {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    family: "resnet",
    resolution: 64,
    createdAt: "2025-03-01T10:00:00.000Z",
    statistics: ["p50", "p95", "p99", "mean"],
    defaultStatistic: "p99",
    machine: {
      cpuModel: "Some CPU", logicalCores: 2, platform: "linux", arch: "x64", osRelease: "6.1", totalMemBytes: 8e9,
      node: "v20.19.0", onnxruntime: "1.30.0", loadAverage: { start: [0.5, 0.4, 0.3], end: [0.6, 0.5, 0.3] },
    },
    settings: { warmupRunsPerSize: 2, minSamples: 10, maxSamples: 200, maxSecondsPerPoint: 5, minSecondsPerPoint: 1, stableRelTol: 0.02, stableWindow: 5, timing: "totalMs" },
    provenance: { kind: "measured", source: "fulcrum profile", method: "InferencePool totalMs" },
    variants: [
      {
        name: "resnet18",
        accuracy: 0.6976,
        accuracySource: "published",
        points: [
          { batch: 1, cores: 1, samples: 30, p50Ms: 10, p95Ms: 12, p99Ms: 13, meanMs: 10.5 },
          { batch: 2, cores: 1, samples: 30, p50Ms: 18, p95Ms: 20, p99Ms: 22, meanMs: 18.4 },
        ],
      },
    ],
  };
}

function errorOf(f: () => unknown): ProfileError {
  try {
    f();
  } catch (err) {
    if (err instanceof ProfileError) return err;
    throw err;
  }
  throw new Error("expected a ProfileError");
}

describe("parseProfile", () => {
  it("accepts a valid profile and round-trips it through formatProfile", () => {
    const p = parseProfile(doc());
    expect(parseProfileJson(formatProfile(p))).toEqual(p);
  });

  it("names a missing quantile by its path", () => {
    const d = doc();
    delete d.variants[0]!.points[1]!.p99Ms;
    const e = errorOf(() => parseProfile(d));
    expect(e.field).toBe("variants[0].points[1].p99Ms");
    expect(e.message).toContain("variants[0].points[1].p99Ms:");
  });

  it("names a wrong type, an unknown key and a bad date", () => {
    const d = doc();
    d.variants[0]!.points[0]!.batch = 0;
    d.variants[0]!.points[0]!.latency = 3;
    d.createdAt = "yesterday";
    const fields = errorOf(() => parseProfile(d)).issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(["variants[0].points[0].batch", "variants[0].points[0]", "createdAt"]));
  });

  it("reports a schema version mismatch alone", () => {
    const e = errorOf(() => parseProfile({ ...doc(), schemaVersion: 2, family: 7 }));
    expect(e.issues).toEqual([{ field: "schemaVersion", message: "expected 1, got 2" }]);
  });

  it("requires machine, settings and sample counts in a measured profile", () => {
    const d = doc();
    delete d.machine;
    delete d.variants[0]!.points[0]!.samples;
    const fields = errorOf(() => parseProfile(d)).issues.map((i) => i.field);
    expect(fields).toEqual(["machine", "variants[0].points[0].samples"]);
  });

  it("rejects out-of-order quantiles, duplicate points and a default statistic not carried", () => {
    const d = doc();
    d.variants[0]!.points[0]!.p99Ms = 11;
    d.variants[0]!.points[1]!.batch = 1;
    d.defaultStatistic = "reported";
    const e = errorOf(() => parseProfile(d));
    expect(e.issues).toEqual(expect.arrayContaining([
      { field: "defaultStatistic", message: '"reported" is not among statistics [p50, p95, p99, mean]' },
      { field: "variants[0].points[0].p99Ms", message: "11 < p95Ms 12" },
      { field: "variants[0].points[1]", message: "duplicate point batch=1 cores=1" },
    ]));
  });

  it("rejects a profile of another family or without the wanted statistic or variant", () => {
    const e = errorOf(() => parseProfile(doc(), { family: "yolo", statistic: "reported", variants: ["resnet50"] }, "profiles/yolo.json"));
    expect(e.issues.map((i) => i.field)).toEqual(["family", "statistics", "variants"]);
    expect(e.message).toMatch(/^invalid profile \(profiles\/yolo\.json\): family: expected "yolo", got "resnet"/);
    expect(e.source).toBe("profiles/yolo.json");
  });

  it("says when the text is not JSON", () => {
    expect(errorOf(() => parseProfileJson("{oops")).field).toBe("(root)");
  });
});
