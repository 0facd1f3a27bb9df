import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseProfileJson } from "@fulcrum/core/perf";
import { profileCommand } from "./profile.js";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-profile-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const cmd = profileCommand({ out: (l) => lines.push(l), progress: false }).exitOverride().configureOutput({ writeErr: () => undefined });
  return cmd.parseAsync(["node", "profile", ...args]).then(() => lines);
}

describe("fulcrum profile", () => {
  it("writes a loadable profile and reports a fit per variant", async () => {
    const out = join(dir, "fashion.json");
    const lines = await run(["--family", "fashion", "--variants", "linear", "--batches", "1,2,4", "--cores", "1,2", "--max-seconds-per-point", "0.1", "--model-dir", dir, "--out", out]);
    const p = parseProfileJson(readFileSync(out, "utf8"), { family: "fashion", variants: ["linear"] });
    expect(p.variants[0]!.points).toHaveLength(6);
    expect(lines[0]).toMatch(/^fashion\/linear: 6 points \(\d+ hit the time cap\), p99 fit γ=/);
    expect(lines.at(-1)).toContain(`written to ${out}`);
  });

  it("rejects malformed lists and --out without --family", async () => {
    await expect(run(["--family", "fashion", "--batches", "1,x"])).rejects.toThrow('--batches must be a comma-separated list of integers >= 1, got "1,x"');
    await expect(run(["--out", join(dir, "x.json")])).rejects.toThrow("--family: required with --out");
  });
});
