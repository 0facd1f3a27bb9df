import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { measureRttFloor, REPO, TS_NODE } from "./_processes.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-bench-processes-"));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const helpers = fileURLToPath(new URL("./_processes.ts", import.meta.url));

/** Runs `source` (a module importing the helpers) as a benchmark would run, collecting its stdout. */
function runFixture(name: string, source: string): { child: ChildProcess; lines: string[]; line(prefix: string): Promise<string>; exited: Promise<number | null> } {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source.replaceAll("HELPERS", JSON.stringify(helpers)));
  const child = spawn(TS_NODE[0], [...TS_NODE.slice(1), file], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const line = async (prefix: string): Promise<string> => {
    for (;;) {
      const hit = lines.find((l) => l.startsWith(prefix));
      if (hit !== undefined) return hit;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`fixture ${name} exited before printing "${prefix}"`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, lines, line, exited };
}

/** Running (a zombie waiting for its new parent to reap it counts as gone). */
const alive = (pid: number): boolean => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe("benchmark process helpers", () => {
  it("an interrupted benchmark runs every registered stop, then exits 128 + signal", async () => {
    const f = runFixture(
      "interrupt",
      `import { stopOnInterrupt } from HELPERS;
       stopOnInterrupt(async () => { await new Promise((r) => setTimeout(r, 50)); console.log("stopped a"); });
       const unregister = stopOnInterrupt(async () => console.log("stopped b"));
       unregister();
       stopOnInterrupt(async () => console.log("stopped c"));
       console.log("ready");
       setTimeout(() => {}, 60_000);`,
    );
    await f.line("ready");
    f.child.kill("SIGTERM");
    expect(await f.exited).toBe(143);
    expect(f.lines).toContain("stopped a");
    expect(f.lines).toContain("stopped c");
    expect(f.lines).not.toContain("stopped b");
  }, 60_000);

  it("a load client does not outlive its benchmark, even one killed outright", async () => {
    const f = runFixture(
      "orphan",
      `import { startLoadClient } from HELPERS;
       const client = startLoadClient();
       console.log("client " + client.pid);
       setTimeout(() => {}, 60_000);`,
    );
    const pid = Number((await f.line("client ")).split(" ")[1]);
    expect(alive(pid)).toBe(true);
    f.child.kill("SIGKILL");
    await f.exited;
    // Its stdin closes with the benchmark; it may still be loading modules when that happens.
    const deadline = Date.now() + 45_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  }, 90_000);

  it("measures the raw TCP and HTTP/2 round trips of the given sizes and stops its server", async () => {
    const r = await measureRttFloor({ rateRps: 200, count: 30, requestBytes: 50_000, responseBytes: 4000 }, undefined);
    expect(r.samples).toBe(30);
    for (const v of [r.tcpP50Ms, r.tcpP99Ms, r.http2P50Ms, r.http2P99Ms]) expect(v).toBeGreaterThan(0);
    expect(r.tcpP99Ms).toBeGreaterThanOrEqual(r.tcpP50Ms);
    expect(r.http2P99Ms).toBeGreaterThanOrEqual(r.http2P50Ms);
    const { execFileSync } = await import("node:child_process");
    const left = (() => {
      try {
        return execFileSync("pgrep", ["-f", "_rtt-floor.ts server"], { encoding: "utf8" }).trim();
      } catch {
        return ""; // pgrep exits 1 when nothing matches
      }
    })();
    expect(left).toBe("");
  }, 90_000);
});
