import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gitInfo, machineInfo } from "./_run-info.js";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-run-info-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("run info", () => {
  it("reads the commit and whether the tree is dirty", () => {
    const repo = join(dir, "repo");
    const git = (...args: string[]): string => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" });
    execFileSync("git", ["init", "-q", repo]);
    writeFileSync(join(repo, "a.txt"), "a\n");
    git("add", "a.txt");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one");
    const head = git("rev-parse", "HEAD").trim();
    expect(gitInfo(repo)).toEqual({ commit: head, dirty: false, dirtyFiles: [] });
    writeFileSync(join(repo, "a.txt"), "b\n");
    writeFileSync(join(repo, "new.txt"), "n\n");
    expect(gitInfo(repo)).toEqual({ commit: head, dirty: true, dirtyFiles: ["a.txt", "new.txt"] });
  });

  it("says why there is no commit outside a checkout", () => {
    const plain = join(dir, "plain");
    execFileSync("mkdir", ["-p", plain]);
    const info = gitInfo(plain);
    expect(info.commit).toBeNull();
    expect("error" in info && info.error).toMatch(/not a git repository/i);
  });

  it("describes the machine", () => {
    const m = machineInfo();
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(m.totalMemoryBytes).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    expect(m.loadAverageStart).toHaveLength(3);
    expect(m.cpuModel.length).toBeGreaterThan(0);
  });
});
