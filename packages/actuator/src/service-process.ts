import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ServiceProcessError } from "./errors.js";

/** One service process to run. */
export interface ChildSpec {
  /** Display name (`stage-0`, `gateway`, …); also the log file's name. */
  readonly name: string;
  /** Entry point relative to the repository root (`services/gateway/src/main.ts`). */
  readonly entry: string;
  /**
   * Run `node <entry>` as it is: a built program outside the workspace (e.g. examples/custom-stage),
   * without tsx, the `@fulcrum/source` condition or Fulcrum's telemetry preload. @default false
   */
  readonly plain?: boolean;
  /** Environment added to the launcher's own. */
  readonly env: Readonly<Record<string, string>>;
  /** Port of its `/readyz` (Prometheus server), when it has one. */
  readonly readyPort?: number;
  /** What to show in the status table (`127.0.0.1:8001`, …). */
  readonly address?: string;
}

/** A running child. */
export interface ManagedChild {
  readonly spec: ChildSpec;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Set once it exited. */
  exit: number | string | undefined;
}

/** Node flags every service starts with from its TypeScript sources (tsx) and the telemetry preload. */
export const NODE_FLAGS = ["--conditions=@fulcrum/source", "--import", "tsx", "--import", "@fulcrum/runtime/register"] as const;

/**
 * Node flags of particular services, wherever they run (`fulcrum up` and its actuator, the
 * benchmarks, and `scripts/docker/entrypoint.sh`, which passes the same); see {@link serviceNodeFlags}.
 *
 * The gateway, the stage and the load generator collect garbage on their main thread alone
 * (`--single-threaded-gc`). They share CPUs with inference (on the 2-core machine the benchmarks
 * pin the gateway and a stage to one CPU) or run under a CPU limit, where V8's helper threads
 * cannot run beside the main thread and only preempt it or spend its quota; their heaps are tens of
 * MiB, so there is little for helpers to do. The overload benchmark at a fixed 410 and 360 rps
 * (one ResNet-101 replica and the gateway on CPU 1), alternating runs: gateway event-loop delay p99
 * 17.2–18.1 ms with it (3 runs) vs 24.1–30.0 ms without (2), the gateway's own refusals' p99
 * 12.2–13.4 vs 26.4–38.0 ms, all refusals' p99 15.2–19.5 vs 73.9–102.8 ms. The load generator,
 * pinned to one CPU, against a server refusing every call (354 rps of 49 KiB, 4 + 4 alternating
 * 10 s runs): send lag p99 3.9–5.1 ms with it vs 5.1–9.2 ms without; RSS 157 vs 207 MiB.
 *
 * The stage also lets the old generation grow to 4× what survived the last full collection
 * (`--heap-growing-percent=300`) before the next one. Its live heap is small (about 30 MiB) and
 * almost everything it allocates dies with its request, yet under a steady stream of 49 KiB
 * requests V8 may run a full mark-compact every 0.2–0.4 s, started by its own scheduling while the
 * old generation is far below its limit (seen in the gateway: 31 MiB against 54; 115 full
 * collections in a traced overload run at 410 rps, 77 and 91 with two other flags tried, 9 with
 * this one). Pinned to one CPU (ResNet-18, batch 8, saturated), alternating runs: 3.45–3.55 CPU ms
 * per request with it vs 3.75–3.82, 282–290 vs 262–267 req/s (3 + 3 runs); its RSS grew 0.5–8.3 %
 * after warm-up in two 10-minute soaks. The gateway does without it: the same storm came in some of
 * its overload runs (0.74–0.83 CPU ms per request against 0.48–0.49 in runs without it), and the
 * flag removed it, but in the soak (20 rps, 10 minutes) the gateway's RSS then climbed from 130 to
 * 225 MiB, towards 4× its live heap, far past the soak's 15 % bound.
 *
 * The load generator's and the gateway's young generations are also capped at 2 MiB semi-spaces.
 * Left to itself V8 grows them towards 16 MiB under steady load. For the load generator that cost
 * memory: its RSS rose 30 MiB after warm-up in a 10-minute soak (+21.9 %); capped, +1.2 %, and at
 * 500 rps of 49 KiB requests the cap cost no measurable CPU (7.4 s either way, 20 s runs). For the
 * gateway it is also the storm above, in part: V8 starts marking once the old generation's room
 * left is no more than the young generation's capacity, and the 49 KiB request buffers, which die
 * young, are freed only when a scavenge (or a full collection) finds them dead; with 16 MiB
 * semi-spaces scavenges are rare (17 in a traced overload run, against 104–114 full collections).
 * Capped: 380 scavenges and 54–55 full collections, 0.69–0.71 CPU ms per request against
 * 0.78–0.79 (overload at a fixed 410 rps, 2 + 2 runs).
 */
export const SERVICE_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  gateway: ["--max-semi-space-size=2", "--single-threaded-gc"],
  stage: ["--single-threaded-gc", "--heap-growing-percent=300"],
  loadgen: ["--max-semi-space-size=2", "--single-threaded-gc"],
};

/** The {@link SERVICE_NODE_FLAGS} of the service whose entry is `services/<name>/…` (none for any other entry). */
export function serviceNodeFlags(entry: string): readonly string[] {
  const name = /^services\/([^/]+)\//.exec(entry)?.[1];
  return (name !== undefined && Object.hasOwn(SERVICE_NODE_FLAGS, name) ? SERVICE_NODE_FLAGS[name] : undefined) ?? [];
}

/**
 * Node arguments that start the service at `entry` from its TypeScript sources as every launcher
 * does: its {@link SERVICE_NODE_FLAGS}, then `extraFlags` (e.g. `--cpu-prof`), then
 * {@link NODE_FLAGS} (tsx and the telemetry preload, which also turns source maps off), then the entry.
 */
export function serviceSourceArgv(entry: string, extraFlags: readonly string[] = []): string[] {
  return [...serviceNodeFlags(entry), ...extraFlags, ...NODE_FLAGS, entry];
}

/** Newest modification time under `dir` (tests excluded: they are not built), ms. */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtimeMs(p));
    else if (!e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let buildFresh: boolean | undefined;

/**
 * A build writes some sources (generated protobuf code) moments before it compiles them, so `dist/`
 * can be a few ms older than `src/` right after a clean build; an edit made after a build is seconds
 * later. Within this slack the build counts as current.
 */
const BUILD_CLOCK_SLACK_MS = 2000;

/** Whether every workspace's `dist/` is at least as new as its `src/` (so compiled code is current). */
function workspacesBuilt(repoRoot: string): boolean {
  if (buildFresh !== undefined) return buildFresh;
  buildFresh = ["packages", "services"]
    .flatMap((parent) => (existsSync(join(repoRoot, parent)) ? readdirSync(join(repoRoot, parent)).map((d) => join(repoRoot, parent, d)) : []))
    .concat(join(repoRoot, "proto"))
    .filter((ws) => existsSync(join(ws, "src")) && existsSync(join(ws, "package.json")))
    .every((ws) => existsSync(join(ws, "dist")) && newestMtimeMs(join(ws, "dist")) + BUILD_CLOCK_SLACK_MS >= newestMtimeMs(join(ws, "src")));
  return buildFresh;
}

/**
 * The compiled entry (`…/dist/main.js`) of a service's `…/src/main.ts` when every workspace's build
 * is current (after `npm run setup`, `npm run build` or `npm test`): it starts seconds sooner than
 * transpiling the sources with tsx, which matters for a replica's cold start. Otherwise undefined,
 * and the sources run.
 */
export function compiledEntry(repoRoot: string, entry: string): string | undefined {
  const m = /^(.*)\/src\/(.+)\.ts$/.exec(entry);
  if (!m || !workspacesBuilt(repoRoot)) return undefined;
  const dist = join(m[1]!, "dist", `${m[2]}.js`);
  return existsSync(join(repoRoot, dist)) ? dist : undefined;
}

/**
 * Starts one service process from the repository's TypeScript sources; its stdout and stderr go to
 * `<logDir>/<name>.log`. It learns the launcher's pid (`FULCRUM_PARENT_PID`), so it shuts down when
 * the launcher dies without stopping it.
 */
export function spawnService(spec: ChildSpec, repoRoot: string, logDir: string): ManagedChild {
  const logFile = join(logDir, `${spec.name}.log`);
  const fd = openSync(logFile, "a");
  const compiled = spec.plain ? undefined : compiledEntry(repoRoot, spec.entry);
  // Every way in starts with the service's own flags (none for an entry outside `services/`).
  const flags = serviceNodeFlags(spec.entry);
  const argv = spec.plain ? [...flags, spec.entry] : compiled ? [...flags, "--import", "@fulcrum/runtime/register", compiled] : serviceSourceArgv(spec.entry);
  const child = spawn(process.execPath, argv, {
    cwd: repoRoot,
    env: { ...process.env, OTEL_SERVICE_NAME: `fulcrum-${spec.name.replace(/-\d+$/, "")}`, FULCRUM_PARENT_PID: String(process.pid), ...spec.env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const managed: ManagedChild = {
    spec,
    process: child,
    logFile,
    exit: undefined,
    exited: new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        managed.exit = code ?? signal ?? "unknown";
        resolve(managed.exit);
      });
      child.once("error", (err) => {
        managed.exit = `spawn error: ${err.message}`;
        resolve(managed.exit);
      });
    }),
  };
  return managed;
}

/** Resolves when the child's `/readyz` answers 200; rejects when it exits first or `timeoutMs` passes. */
export async function waitReady(child: ManagedChild, timeoutMs: number): Promise<void> {
  const port = child.spec.readyPort;
  if (port === undefined) return;
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exit !== undefined) throw new ServiceProcessError(child.spec.name, `exited (${child.exit}) before it was ready:\n${tail(child.logFile)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new ServiceProcessError(child.spec.name, `was not ready within ${timeoutMs} ms:\n${tail(child.logFile)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
export async function stopChild(c: ManagedChild, graceMs: number): Promise<void> {
  if (c.exit !== undefined) return;
  c.process.kill("SIGTERM");
  const timer = setTimeout(() => c.process.kill("SIGKILL"), graceMs);
  await c.exited;
  clearTimeout(timer);
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
