import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { planRuns } from "../experiment/build.js";
import { listExperiments, loadExperiment, loadExperimentData, loadPaperResults } from "./files.js";
import { runExperimentFromDisk } from "./run.js";

describe("the committed experiments", () => {
  const entries = listExperiments();

  it("are E1–E4, each named after its file", () => {
    expect(entries.map((e) => e.id)).toEqual(["e1-infadapter", "e2-ipa-video", "e3-sponge", "e4-scale"]);
  });

  it("plan on every profile set they define, with their published numbers found", () => {
    for (const e of entries) {
      const spec = loadExperiment(e.id);
      const data = loadExperimentData(spec);
      for (const set of Object.keys(spec.profiles)) {
        const runs = planRuns(spec, data, { profiles: set });
        expect(runs.length).toBe(Object.keys(spec.workload.patterns).length * spec.policies.length);
      }
      if (spec.paper) expect(loadPaperResults(spec.paper)).toHaveProperty("provenance");
    }
  }, 300_000);

  it("are found by id prefix, and an unknown id lists the known ones", () => {
    expect(loadExperiment("e2").id).toBe("e2-ipa-video");
    expect(() => loadExperiment("e9")).toThrow(/unknown experiment "e9" \(known: e1-infadapter, e2-ipa-video, e3-sponge, e4-scale\)/);
  });

  it("a definition with a bad key names it and the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-exp-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "id: bad\ntitle: t\ndescription: d\n");
    expect(() => loadExperiment(file)).toThrow(/bad\.yaml[\s\S]*pipeline/);
  });
});

describe("runExperimentFromDisk", () => {
  it("refuses --live, saying what is missing", async () => {
    await expect(runExperimentFromDisk("e1", { mode: "live", out: "/nonexistent" })).rejects.toThrow(/live runs are not available: .*npm run bench -- fidelity/);
  });
});
