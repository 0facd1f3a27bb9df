/**
 * Test harness of the fault-injection suite: runs `fulcrum up` as a real process, finds the
 * processes it started (through `/proc`: its children, by entry point and instance), and reads the
 * load generator's per-request records. Linux only (`/proc`), loopback only, bounded in time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KV_BUCKETS, control, kvKeys } from "@fulcrum/proto";
import { toDomainRegistryRecord, type Bus, type Stoppable } from "@fulcrum/runtime";
import type { RegistryRecord } from "@fulcrum/core/control";
import { fulcrumArgv } from "./launcher.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** A running `fulcrum up` and everything it printed. */
export interface UpProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once it exited. */
  readonly exited: Promise<number | string>;
  /** Resolves when `text` appears in its output; rejects after `timeoutMs` or when it exits first. */
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
}

/**
 * Starts `fulcrum up <args>` from the sources with `env` added. `detached`: in a process group of
 * its own (with the services it starts), so `process.kill(-pid, …)` signals them all, as Ctrl-C in
 * a terminal does.
 */
export function startUp(args: readonly string[], env: Record<string, string>, options: { detached?: boolean } = {}): UpProcess {
  const child = spawn(process.execPath, fulcrumArgv("up", ...args), {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = code ?? signal ?? "unknown";
      resolve(exit);
    }),
  );
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async waitForOutput(text, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (!out.includes(text)) {
        if (exit !== undefined) throw new Error(`fulcrum up exited (${exit}) before printing "${text}":\n${out}`);
        if (Date.now() > end) throw new Error(`fulcrum up did not print "${text}" within ${timeoutMs} ms:\n${out}`);
        await sleep(200);
      }
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every 200 ms; resolves with the ms it took, rejects with `what()` after `timeoutMs`. */
export async function waitFor(what: () => string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await sleep(200);
  }
  return Date.now() - t0;
}

/** One process as `/proc` shows it. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line, arguments joined by spaces. */
  readonly cmd: string;
  readonly env: Readonly<Record<string, string>>;
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 4 (ppid) follows the command name in parentheses, which may itself hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    const env = Object.fromEntries(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter((kv) => kv.includes("="))
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    return { pid, ppid, cmd, env };
  } catch {
    return undefined; // gone meanwhile, or not ours
  }
}

/** The live direct children of `pid` (zombies excluded). */
export function childrenOf(pid: number): ProcInfo[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procInfo(Number(d)))
    .filter((p): p is ProcInfo => p !== undefined && p.ppid === pid && p.cmd !== "");
}

/** The child of `fulcrum up` running `services/<service>/…` (its `src/main.ts` or `dist/main.js`). */
export function serviceProcesses(upPid: number, service: string): ProcInfo[] {
  return childrenOf(upPid).filter((p) => p.cmd.includes(`services/${service}/`));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

/** What a failed test left running: the children of `fulcrum up` first (by pid), then itself; SIGKILL. */
export async function killLeftovers(up: UpProcess): Promise<void> {
  if (!alive(up.pid)) return;
  for (const c of childrenOf(up.pid)) process.kill(c.pid, "SIGKILL");
  up.child.kill("SIGKILL");
  await up.exited;
}

/** The stage replicas of a pipeline in KV `fulcrum_registry`, kept current by a watch. */
export class RegistryView {
  readonly entries = new Map<string, RegistryRecord>();
  /** Entries (puts) seen so far. */
  updates = 0;
  private sub: Stoppable | undefined;

  async start(bus: Bus, pipeline: string): Promise<void> {
    const kv = await bus.kv(KV_BUCKETS.registry);
    this.sub = await kv.watch(kvKeys.registryOfPipeline(pipeline), control.RegistryEntry, (e, key) => {
      const instance = key.split(".")[2] ?? "";
      if (!e) this.entries.delete(instance);
      else {
        this.updates += 1;
        this.entries.set(instance, toDomainRegistryRecord(e));
      }
    });
  }

  /** Replicas registered `ready` with a heartbeat newer than `freshMs`. */
  ready(freshMs = 6000): RegistryRecord[] {
    const now = Date.now();
    return [...this.entries.values()].filter((r) => r.state === "ready" && now - r.heartbeatMs <= freshMs);
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}

/** One request of the load generator's records file. */
export interface LoadRecord {
  readonly seq: number;
  readonly sentMs: number;
  readonly latencyMs: number;
  readonly sloMs: number;
  readonly fate: "in-time" | "late" | "rejected" | "failed";
  readonly code?: string;
  readonly details?: string;
}

/** The load generator's report and records of a run folder; `startMs` maps `sentMs` to Unix ms. */
export function readLoad(runDir: string): { records: LoadRecord[]; startMs: number; planned: number; summary: Record<string, number> & { byCode: Record<string, number> } } {
  const report = JSON.parse(readFileSync(join(runDir, "loadgen-report.json"), "utf8")) as { startedAt: string; planned: number; summary: Record<string, number> & { byCode: Record<string, number> } };
  const records = readFileSync(join(runDir, "loadgen-records.jsonl"), "utf8")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LoadRecord);
  return { records, startMs: Date.parse(report.startedAt), planned: report.planned, summary: report.summary };
}

/** Lines (requests with their fate) in the load generator's records file so far. */
export function recordsSoFar(runDir: string): number {
  try {
    return readFileSync(join(runDir, "loadgen-records.jsonl"), "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}

/** Counts of each fate of a set of requests. */
export interface Ledger {
  readonly sent: number;
  readonly inTime: number;
  readonly late: number;
  readonly rejected: number;
  readonly failed: number;
}

/** Counts of each fate; `sent = in time + late + rejected + failed` is checked by the caller. */
export function ledger(records: readonly LoadRecord[]): Ledger {
  const n = (f: LoadRecord["fate"]): number => records.filter((r) => r.fate === f).length;
  return { sent: records.length, inTime: n("in-time"), late: n("late"), rejected: n("rejected"), failed: n("failed") };
}
