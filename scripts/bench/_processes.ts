/**
 * Helper of the data-plane benchmarks (not an entry: the `_` prefix hides it from `npm run bench`):
 * child processes pinned to CPUs with `taskset`, their CPU time from `/proc`, the OIP load client
 * (`_oip-load.ts`), the transport-limit echo server (`_oip-echo.ts`) and the stage service.
 *
 * Placement on a machine with n CPUs: the load client runs on CPU 0, a server under test on CPU 1
 * (or on `1..cores` for a multi-core replica), so the server's work happens within the cores it
 * was given, as under a Kubernetes CPU limit, and the client does not steal them.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serviceSourceArgv } from "@fulcrum/actuator";
import { freePort, OipClient, startNatsServer, type NatsServerHandle } from "@fulcrum/runtime";
import type { BareSessionOptions, BareSessionResult } from "./_bare-session.ts";
import type { RttOptions, RttResult } from "./_rtt-floor.ts";

const run = promisify(execFile);
/** Repository root. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** Runs a TypeScript entry from source (what `npm run bench` itself uses). */
export const TS_NODE = [process.execPath, "--conditions=@fulcrum/source", "--import", "tsx"] as const;
const TASKSET = "/usr/bin/taskset";

/** Whether processes can be pinned (Linux `taskset` present and at least 2 CPUs). */
export const canPin = existsSync(TASKSET) && cpus().length >= 2;

/** CPU list of the load client. */
export const CLIENT_CPUS = "0";

/** CPU list of a server given `cores` cores: CPUs 1…cores (capped at the machine's last CPU). */
export function serverCpus(cores: number): string {
  const last = Math.min(cores, cpus().length - 1);
  return last <= 1 ? "1" : `1-${last}`;
}

/** `[command, ...args]` that runs `argv` pinned to `cpuList` when pinning is possible, else as is. */
export function pinned(cpuList: string | undefined, argv: readonly string[]): [string, ...string[]] {
  if (cpuList === undefined || !canPin) return [argv[0]!, ...argv.slice(1)];
  return [TASKSET, "-c", cpuList, ...argv];
}

const CLK_TCK = 100;

/** User + system CPU seconds a process (all its threads) has used so far, from `/proc/<pid>/stat`. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name (which may itself contain spaces).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Stops of everything a benchmark has started and not yet stopped, run if it is interrupted. */
const onInterrupt = new Set<() => Promise<void>>();
/** How long an interrupted benchmark waits for its children to stop before it exits anyway, ms. */
const INTERRUPT_GRACE_MS = 10_000;
let interruptHandlersInstalled = false;

/**
 * Registers `stop` to run if this process gets SIGINT, SIGTERM or SIGHUP (Ctrl-C, `timeout`, a closed
 * terminal), so an interrupted benchmark leaves no server, nats-server or load client behind. The
 * `finally` blocks of a benchmark do not run on a signal; this does. Returns the unregister
 * function (call it once the thing is stopped normally).
 */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  if (!interruptHandlersInstalled) {
    interruptHandlersInstalled = true;
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
      process.once(signal, () => {
        console.error(`${signal}: stopping ${onInterrupt.size} started processes`);
        const all = Promise.allSettled([...onInterrupt].map((f) => f()));
        const grace = new Promise((r) => setTimeout(r, INTERRUPT_GRACE_MS).unref());
        void Promise.race([all, grace]).then(() => process.exit(code));
      });
    }
  }
  onInterrupt.add(stop);
  return () => void onInterrupt.delete(stop);
}

/**
 * A private nats-server for a benchmark, stopped (and its store removed) also when the benchmark is
 * interrupted: it runs in its own process group, so a `timeout` or Ctrl-C aimed at the benchmark's
 * group does not reach it, and a benchmark killed by a signal never runs its `finally`.
 */
export async function startBenchNats(): Promise<NatsServerHandle> {
  const nats = await startNatsServer();
  const unregister = stopOnInterrupt(() => nats.stop());
  return { ...nats, stop: () => nats.stop().finally(unregister) };
}

/** Arguments of `_oip-load.ts`. */
export interface LoadOptions {
  readonly address: string;
  readonly model: string;
  readonly input: string;
  /** Input shape after the batch dimension; requests carry one row. */
  readonly tail: readonly number[];
  /** Closed loop: callers each sending their next request when the previous one is answered. */
  readonly concurrency?: number;
  /** Open loop instead: one request every 1000 / rateRps ms, whatever the answers do. */
  readonly rateRps?: number;
  readonly warmupS: number;
  readonly durationS: number;
  /** A process whose CPU time over the measured window is reported (`serverCpuSeconds`). */
  readonly cpuPid?: number;
}

/** What `_oip-load.ts` reports (requests that started and ended within the measured window). */
export interface LoadResult {
  readonly completed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly rps: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** CPU seconds `cpuPid` used over the measured window (0 without `cpuPid`). */
  readonly serverCpuSeconds: number;
  /**
   * p50 / p99 of the `stage_latency_ms` response parameter (the stage's own arrival → result time,
   * ms), when the responses carry it. The echo server repeats one recorded response: ignore it there.
   */
  readonly reportedStageLatencyP50Ms?: number;
  readonly reportedStageLatencyP99Ms?: number;
  /**
   * p50 / p99 over the responses carrying `session_run_ms` too: that parameter (the batch's
   * `session.run` time, ms), and `stage_latency_ms` minus it per request (the stage's own time
   * around inference: queueing, hand-offs to and from the inference thread, copies).
   */
  readonly reportedRunP50Ms?: number;
  readonly reportedRunP99Ms?: number;
  readonly reportedOutsideRunP50Ms?: number;
  readonly reportedOutsideRunP99Ms?: number;
  readonly firstError?: string;
}

/** A load client running in its own process. */
export interface LoadRun {
  /** The client's report, once it has finished (or been stopped). */
  readonly result: Promise<LoadResult>;
  /** Ends the run early (SIGTERM): the report covers the window up to now. */
  stop(): void;
}

/** Starts the load client in its own process on {@link CLIENT_CPUS}. */
export function startLoad(o: LoadOptions): LoadRun {
  const [cmd, ...args] = pinned(CLIENT_CPUS, [...TS_NODE, "scripts/bench/_oip-load.ts", JSON.stringify(o)]);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, OTEL_SDK_DISABLED: "true" } });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  stopper(child);
  const guard = setTimeout(() => child.kill("SIGKILL"), (o.warmupS + o.durationS + 120) * 1000);
  const result = new Promise<LoadResult>((resolve, reject) =>
    child.once("exit", (code) => {
      clearTimeout(guard);
      const line = out.trim().split("\n").pop();
      if (code !== 0 || !line) return reject(new Error(`load client on ${o.address} exited with code ${code}`));
      const r = JSON.parse(line) as LoadResult;
      if (r.failed > 0) console.warn(`load on ${o.address}: ${r.failed} failed requests, first: ${r.firstError}`);
      resolve(r);
    }),
  );
  return { result, stop: () => void child.kill("SIGTERM") };
}

/** Runs the load client to the end of its window and returns its report. */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return startLoad(o).result;
}

/** One load-client process that runs loads one after another (`_oip-load.ts --serve`). */
export interface LoadClient {
  readonly pid: number;
  /** Runs `o` once the runs before it are done; rejects if the client dies or overruns. */
  run(o: LoadOptions): Promise<LoadResult>;
  /** Ends the client (closing its stdin). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a load client on {@link CLIENT_CPUS} that serves many runs, so a benchmark pays the client's
 * start-up (several seconds of module loading on a busy machine) once instead of per run. A run
 * that has not reported `warmupS + durationS + 120` s after it started kills the client and rejects.
 */
export function startLoadClient(): LoadClient {
  const [cmd, ...args] = pinned(CLIENT_CPUS, [...TS_NODE, "scripts/bench/_oip-load.ts", "--serve"]);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, OTEL_SDK_DISABLED: "true" } });
  const stop = stopper(child);
  const waiting: Array<{ resolve(r: LoadResult): void; reject(e: Error): void }> = [];
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString("utf8");
    let nl;
    while ((nl = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.trim() !== "") waiting.shift()?.resolve(JSON.parse(line) as LoadResult);
    }
  });
  child.once("exit", (code, signal) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`load client exited (code ${code}, signal ${signal}) before reporting`));
  });
  let last: Promise<unknown> = Promise.resolve();
  const run = (o: LoadOptions): Promise<LoadResult> => {
    const started = last.catch(() => undefined).then(
      () =>
        new Promise<LoadResult>((resolve, reject) => {
          if (child.exitCode !== null || child.signalCode !== null) return reject(new Error("load client is not running"));
          const guard = setTimeout(() => child.kill("SIGKILL"), (o.warmupS + o.durationS + 120) * 1000);
          waiting.push({
            resolve: (r) => {
              clearTimeout(guard);
              if (r.failed > 0) console.warn(`load on ${o.address}: ${r.failed} failed requests, first: ${r.firstError}`);
              resolve(r);
            },
            reject: (e) => {
              clearTimeout(guard);
              reject(e);
            },
          });
          child.stdin!.write(`${JSON.stringify(o)}\n`);
        }),
    );
    last = started;
    return started;
  };
  return {
    pid: child.pid!,
    run,
    close: async () => {
      child.stdin!.end();
      await stop();
    },
  };
}

/** {@link measureBareSession} in a child process pinned to `cpuList` (the server's CPUs). */
export async function runBare(options: BareSessionOptions, cpuList: string | undefined): Promise<BareSessionResult> {
  const [cmd, ...args] = pinned(cpuList, [...TS_NODE, "scripts/bench/_bare-run.ts", JSON.stringify(options)]);
  const running = run(cmd, args, { cwd: REPO, env: process.env, timeout: ((options.durationS ?? 3) * (options.repetitions ?? 3) + 120) * 1000 });
  const unregister = stopOnInterrupt(async () => void running.child.kill("SIGTERM"));
  const { stdout } = await running.finally(unregister);
  return JSON.parse(stdout.trim().split("\n").pop()!) as BareSessionResult;
}

/** A server child process. */
export interface ServerProcess {
  readonly pid: number;
  /** OIP gRPC port on 127.0.0.1. */
  readonly port: number;
  /** CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** SIGTERM, then waits for the exit. Idempotent. */
  stop(): Promise<void>;
}

/** SIGTERM, then SIGKILL after 15 s; idempotent; also run if the benchmark is interrupted. */
function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  };
  void exited.then(stopOnInterrupt(stop));
  return stop;
}

async function waitReady(port: number, child: ChildProcess, what: string, model?: string): Promise<void> {
  const probe = new OipClient(`127.0.0.1:${port}`);
  const modelReady = (): Promise<boolean> =>
    model === undefined ? Promise.resolve(true) : new Promise((resolve) => probe.raw.modelReady({ name: model, version: "" }, (err, res) => resolve(!err && res!.ready)));
  try {
    const deadline = Date.now() + 120_000;
    while (!(await probe.ready()) || !(await modelReady())) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what} did not become ready on port ${port}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    probe.close();
  }
}

/** What {@link startServiceProcess} starts. */
export interface ServiceProcessOptions {
  /** Entry under the repository, e.g. `services/stage/src/main.ts`. */
  readonly entry: string;
  /** Environment on top of this process's (OpenTelemetry is turned off). */
  readonly env: Readonly<Record<string, string>>;
  /** OIP gRPC port the service is told to listen on. */
  readonly port: number;
  readonly cpuList: string | undefined;
  /** Node flags before the entry (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Also wait until this OIP model is ready (e.g. a pipeline whose replicas the gateway must see). */
  readonly readyModel?: string;
  /** Name in errors. */
  readonly what: string;
}

/**
 * Starts a Fulcrum service from source on `cpuList`, as `fulcrum up` does (its Node flags and the
 * telemetry preload), and waits until its OIP server is ready.
 */
export async function startServiceProcess(o: ServiceProcessOptions): Promise<ServerProcess> {
  const [cmd, ...args] = pinned(o.cpuList, [process.execPath, ...serviceSourceArgv(o.entry, o.nodeArgs)]);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, OTEL_SDK_DISABLED: "true", ...o.env } });
  const stop = stopper(child);
  try {
    await waitReady(o.port, child, o.what, o.readyModel);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, port: o.port, cpuSeconds: () => processCpuSeconds(child.pid!), stop };
}

/**
 * Starts the stage service with `env` (FULCRUM_STAGE_* keys) on `cpuList`, logs at `warn`, and
 * waits until it is ready.
 */
export async function startStageProcess(env: Readonly<Record<string, string>>, cpuList: string | undefined, nodeArgs: readonly string[] = []): Promise<ServerProcess & { metricsPort: number }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const env2 = { FULCRUM_STAGE_GRPC_PORT: String(port), FULCRUM_STAGE_METRICS_PORT: String(metricsPort), FULCRUM_STAGE_LOG_LEVEL: "warn", ...env };
  return { ...(await startServiceProcess({ entry: "services/stage/src/main.ts", env: env2, port, cpuList, nodeArgs, what: "stage" })), metricsPort };
}

/** Starts `_oip-echo.ts` on `cpuList` answering every ModelInfer with `response` (encoded ModelInferResponse), or refusing it with RESOURCE_EXHAUSTED (`"refuse"`). */
export async function startEchoProcess(response: Uint8Array | "refuse", cpuList: string | undefined): Promise<ServerProcess> {
  const arg = response === "refuse" ? { refuse: true } : { response: Buffer.from(response).toString("base64") };
  const [cmd, ...args] = pinned(cpuList, [...TS_NODE, "scripts/bench/_oip-echo.ts", JSON.stringify(arg)]);
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, OTEL_SDK_DISABLED: "true" } });
  const stop = stopper(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString("utf8");
        const line = out.split("\n")[0];
        if (out.includes("\n")) resolve((JSON.parse(line!) as { port: number }).port);
      });
      child.once("exit", (code) => reject(new Error(`echo server exited with code ${code} before listening`)));
    });
    await waitReady(port, child, "echo server");
    return { pid: child.pid!, port, cpuSeconds: () => processCpuSeconds(child.pid!), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A run of `load` against `server` (on `client`, else in a fresh client process), with the server's CPU time per completed request, ms. */
export async function measure(server: ServerProcess, load: Omit<LoadOptions, "address" | "cpuPid">, client?: LoadClient): Promise<LoadResult & { serverCpuMsPerRequest: number }> {
  const o = { ...load, address: `127.0.0.1:${server.port}`, cpuPid: server.pid };
  const r = await (client ? client.run(o) : runLoad(o));
  return { ...r, serverCpuMsPerRequest: r.completed > 0 ? (r.serverCpuSeconds * 1000) / r.completed : Number.NaN };
}

/**
 * The latency floor under gRPC at a light rate (`_rtt-floor.ts`): raw TCP and raw HTTP/2 round
 * trips of the benchmark's own message sizes, the server on `serverCpuList`, the client on
 * {@link CLIENT_CPUS}. Both processes are stopped before this returns.
 */
export async function measureRttFloor(o: Omit<RttOptions, "tcpPort" | "http2Port"> & { readonly responseBytes: number }, serverCpuList: string | undefined): Promise<RttResult> {
  const [cmd, ...args] = pinned(serverCpuList, [...TS_NODE, "scripts/bench/_rtt-floor.ts", "server", String(o.responseBytes)]);
  const server = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
  const stopServer = stopper(server);
  try {
    const ports = await new Promise<{ tcpPort: number; http2Port: number }>((resolve, reject) => {
      let out = "";
      server.stdout!.on("data", (d: Buffer) => {
        out += d.toString("utf8");
        if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as { tcpPort: number; http2Port: number });
      });
      server.once("exit", (code) => reject(new Error(`rtt floor server exited with code ${code} before listening`)));
    });
    const options: RttOptions = { tcpPort: ports.tcpPort, http2Port: ports.http2Port, rateRps: o.rateRps, count: o.count, requestBytes: o.requestBytes };
    const [ccmd, ...cargs] = pinned(CLIENT_CPUS, [...TS_NODE, "scripts/bench/_rtt-floor.ts", "client", JSON.stringify(options)]);
    const { stdout } = await promisify(execFile)(ccmd, cargs, { cwd: REPO, timeout: ((2 * (o.count + 40)) / o.rateRps + 60) * 1000 });
    return JSON.parse(stdout.trim().split("\n").at(-1)!) as RttResult;
  } finally {
    await stopServer();
  }
}
