import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExperimentSummary } from "@fulcrum/sim";
import { afterEach, describe, expect, it } from "vitest";
import { experimentCommand, summaryLines } from "./experiment.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const cmd = experimentCommand({ out: (l) => lines.push(l), progress: false });
  cmd.exitOverride();
  for (const sub of cmd.commands) sub.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return lines;
}

describe("fulcrum experiment", () => {
  it("list shows every experiment with its policies, patterns and profile sets", async () => {
    const lines = await run(["list"]);
    expect(lines.filter((l) => /^e\d-/.test(l)).map((l) => l.split(" ")[0])).toEqual(["e1-infadapter", "e2-ipa-video", "e3-sponge", "e4-scale"]);
    expect(lines.join("\n")).toMatch(/policies ipa, fa2-low, fa2-high, rim, fulcrum; patterns bursty, steady-low, steady-high, fluctuating; profiles paper, measured/);
  });

  it("run writes summary.json and timeseries.json and prints the table", async () => {
    const out = mkdtempSync(join(tmpdir(), "cli-exp-"));
    dirs.push(out);
    const lines = await run(["run", "e3", "--sim", "--policies", "sponge", "--patterns", "bursty-div8", "--seed", "2", "--out", out, "--no-progress"]);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as ExperimentSummary;
    expect(summary).toMatchObject({ experiment: "e3-sponge", mode: "sim", profiles: "paper", seed: 2 });
    expect(Object.keys(summary.policies)).toEqual(["sponge"]);
    expect(Object.keys(summary.policies.sponge!)).toEqual(expect.arrayContaining(["attainment", "violations", "meanCores", "meanAccuracy", "p99LatencyMs", "coldStarts"]));
    expect(existsSync(join(out, "timeseries.json"))).toBe(true);
    expect(lines[0]).toBe("e3-sponge (sim, profiles paper, seed 2)");
    expect(lines.some((l) => /^ {2}sponge +\d+\.\d\d %/.test(l))).toBe(true);
  }, 300_000);

  it("run <file.yaml> runs that file, not the repository's experiment of the same id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-exp-yaml-"));
    dirs.push(dir);
    mkdirSync(join(dir, "experiments"));
    const file = join(dir, "experiments", "e3-sponge.yaml");
    const repoYaml = readFileSync(fileURLToPath(new URL("../../../../experiments/e3-sponge.yaml", import.meta.url)), "utf8");
    // The copy differs in one label: its summary must carry it.
    writeFileSync(file, repoYaml.replace("  - name: sponge\n", "  - name: sponge-copy\n"));
    const out = join(dir, "out");
    await run(["run", file, "--policies", "sponge-copy", "--patterns", "static-10", "--out", out, "--no-progress"]);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as ExperimentSummary;
    expect(Object.keys(summary.policies)).toEqual(["sponge-copy"]);
  }, 300_000);

  it("--live fails and says what is missing; bad options are named", async () => {
    await expect(run(["run", "e1", "--live", "--no-progress"])).rejects.toThrow(/papers' experiments need their scale/);
    await expect(run(["run", "e1", "--seed", "-1"])).rejects.toThrow(/--seed must be an integer >= 0, got "-1"/);
    await expect(run(["run", "e1", "--sim", "--live"])).rejects.toThrow(/either --sim or --live/);
  });
});

describe("summaryLines", () => {
  it("checks the paper entry's directions on ours and on the paper's own figures, cores as decided", () => {
    const p = (cores: number, decided: number, acc: number) => ({ attainment: 1, violations: 0, meanCores: cores, meanDecidedCores: decided, meanAccuracy: acc, p99LatencyMs: 100, coldStarts: 1 });
    const s = {
      experiment: "e2-ipa-video", title: "t", mode: "sim", profiles: "paper", seed: 1, sloMs: 1, durationS: { bursty: 1200 },
      policies: {},
      patterns: { bursty: { policies: { ipa: p(2.8, 2.52, 39.4), "fa2-low": p(2.52, 2.52, 31.9) } } },
      paper: {
        patterns: { bursty: { ipa: { meanCores: 5.45, meanAccuracy: 34.0 }, "fa2-low": { meanCores: 5.46, meanAccuracy: 31.9 } } },
        directions: [{ name: "at most 10 % more cores", policy: "ipa", comparator: "fa2-low", metric: "cores", relation: "atMost", factor: 1.1 }],
      },
    } as unknown as ExperimentSummary;
    const lines = summaryLines(s);
    expect(lines).toContain("directions (1 of 1 hold on ours; cores as the papers count them, the decided configuration's):");
    expect(lines).toContain("  at most 10 % more cores: ipa vs fa2-low [bursty]: ours 2.52 vs 2.52, holds; allocated cores 2.80 vs 2.52, does not hold; paper 5.45 vs 5.46, holds");
  });


  it("puts the paper's figure beside ours where it publishes one", () => {
    const p = { attainment: 1, violations: 0, meanCores: 5.5, meanDecidedCores: 5.25, meanAccuracy: 34.1, p99LatencyMs: 100, coldStarts: 1 };
    const s = {
      experiment: "e2-ipa-video", title: "t", mode: "sim", profiles: "paper", seed: 1, sloMs: 1, durationS: { bursty: 1200 },
      policies: { ipa: p, fulcrum: p },
      patterns: { bursty: { policies: { ipa: p } } },
      paper: { policies: { ipa: { meanCores: 6.4, meanAccuracy: 33.7 } }, patterns: { bursty: { ipa: { meanCores: 5.45, meanAccuracy: 34.0 } } } },
    } as unknown as ExperimentSummary;
    const lines = summaryLines(s);
    expect(lines.find((l) => l.trim().startsWith("ipa"))).toMatch(/5\.50 +5\.25 +6\.40 +34\.10 +33\.7/);
    expect(lines.find((l) => l.trim().startsWith("fulcrum"))).toMatch(/5\.50 +5\.25 +- +34\.10 +- /);
    expect(lines.filter((l) => l.trim().startsWith("ipa"))[1]).toMatch(/5\.50 +5\.25 +5\.45 +34\.10 +34\.0/);
  });
});
