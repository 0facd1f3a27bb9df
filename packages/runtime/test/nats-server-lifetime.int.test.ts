import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = "packages/runtime/test/fixtures/nats-owner-child.ts";

/** Alive and not a zombie (an orphan reparented to a pid 1 that does not reap stays a zombie). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) ? !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ") : true;
  } catch {
    return false;
  }
}

/** Resolves with the ms until `pid` is gone, or rejects after `boundMs`. */
async function goneWithin(pid: number, boundMs: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > boundMs) throw new Error(`nats-server ${pid} still running ${boundMs} ms later`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

interface Owner {
  child: ChildProcess;
  serverPid: number;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Owner[] = [];

/** A node process that started a private nats-server (the fixture), once the server answers. */
async function startOwner(args: string[] = []): Promise<Owner> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@fulcrum/source", FIXTURE, ...args], { cwd: repo, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const serverPid = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server pid from the fixture within 30 s; stdout: ${out}`)), 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const m = /"serverPid":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((e) => reject(new Error(`fixture exited (${e.code ?? e.signal}) before starting a server: ${out}`)));
  });
  const owner = { child, serverPid, stdout: () => out, exited };
  started.push(owner);
  return owner;
}

/**
 * A private nats-server does not outlive the process that started it, however that process ends
 * (the server runs in its own process group, so nothing else would end it).
 */
describe("private nats-server lifetime", () => {
  afterEach(() => {
    // What a failed case left running.
    for (const o of started.splice(0)) {
      if (alive(o.child.pid!)) o.child.kill("SIGKILL");
      if (alive(o.serverPid)) process.kill(o.serverPid, "SIGKILL");
    }
  });

  it.each(["SIGTERM", "SIGHUP"] as const)("%s without a handler: the server is stopped, the process still dies of the signal", { timeout: 60_000 }, async (signal) => {
    const owner = await startOwner();
    expect(alive(owner.serverPid)).toBe(true);
    owner.child.kill(signal);
    const exit = await owner.exited;
    expect(exit).toEqual({ code: null, signal });
    // Stopped before the signal was raised again: gone by the time the process is.
    await goneWithin(owner.serverPid, 1000);
  });

  it("SIGTERM with the process's own handler: the handler runs (server still up), the server goes when the process exits", { timeout: 60_000 }, async () => {
    const owner = await startOwner(["--own-handler"]);
    owner.child.kill("SIGTERM");
    const exit = await owner.exited;
    expect(owner.stdout()).toContain("own handler ran; server running: true");
    expect(exit).toEqual({ code: 7, signal: null });
    await goneWithin(owner.serverPid, 3000);
  });

  it("SIGKILL: the watchdog ends the server within 3 s", { timeout: 60_000 }, async () => {
    const owner = await startOwner();
    owner.child.kill("SIGKILL");
    await owner.exited;
    const ms = await goneWithin(owner.serverPid, 3000);
    expect(ms).toBeLessThan(3000);
  });
});
