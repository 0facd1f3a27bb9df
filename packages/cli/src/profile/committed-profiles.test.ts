import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fitProfile, parseProfileJson, perfModelFromProfile } from "@fulcrum/core/perf";
import { familyVariants } from "@fulcrum/zoo";
import { DEFAULT_PROFILE_BATCHES, DEFAULT_PROFILE_CORES } from "./profile-family.js";

const PROFILES_DIR = fileURLToPath(new URL("../../../../profiles/", import.meta.url));

describe.each(["resnet", "yolo", "fashion"])("committed profile %s", (family) => {
  const file = `${PROFILES_DIR}${family}.json`;
  const profile = parseProfileJson(readFileSync(file, "utf8"), { family, statistic: "p99", variants: familyVariants(family) }, file);

  it("covers every variant of the family over the default grid, measured with machine and load recorded", () => {
    expect(profile.provenance.kind).toBe("measured");
    expect(profile.machine!.loadAverage.start).toHaveLength(3);
    for (const v of profile.variants) {
      const grid = v.points.map((p) => `${p.batch}x${p.cores}`).sort();
      expect(grid).toEqual(DEFAULT_PROFILE_BATCHES.flatMap((b) => DEFAULT_PROFILE_CORES.map((c) => `${b}x${c}`)).sort());
      expect(v.accuracy).toBeGreaterThan(0);
    }
  });

  it("yields a Sponge fit per variant and a PerfModel the policies can use", () => {
    for (const f of fitProfile(profile)) expect(f.sponge, `${f.variant}: ${f.spongeSkipped ?? ""}`).toBeDefined();
    const model = perfModelFromProfile(profile);
    const v = profile.variants[0]!;
    expect(model.latency(v.name, 1, 1)).toMatchObject({ source: "measured", latencyMs: v.points.find((p) => p.batch === 1 && p.cores === 1)!.p99Ms });
    expect(model.latency(v.name, 4, 8)).toMatchObject({ source: "model", outsideMeasuredRange: true });
  });
});
