import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FulcrumError } from "@fulcrum/core";
import { freePort } from "./free-port.js";
import { reapOnSignal, startWatchdog } from "./server-reaper.js";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /**
   * Port to listen on; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * JetStream store directory; a fresh temp dir (removed on stop) when omitted.
   */
  readonly storeDir?: string;
  /**
   * Server binary.
   * @default env NATS_SERVER_BIN, else `nats-server` on PATH
   */
  readonly binary?: string;
  /**
   * How long to wait for the server to accept connections, ms.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
  /**
   * A configuration file for the server (e.g. `infra/nats-auth.conf`: users and permissions); the
   * address, port, JetStream and store options above override what it sets.
   */
  readonly configFile?: string;
  /** Variables the configuration file reads from the environment (its users' passwords). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A nats-server child process. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp store; idempotent. */
  stop(): Promise<void>;
}

/** The nats-server binary is missing or would not start. */
export class NatsServerStartError extends FulcrumError {
  override readonly name = "NatsServerStartError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("NATS_SERVER_START_FAILED", "unavailable", message, options);
  }
}

/** Whether something at `url` speaks the NATS protocol (sends an `INFO` line) within `timeoutMs`. */
export function isNatsReachable(url: string, timeoutMs = 1000): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url.split(",")[0]!.trim());
    host = u.hostname || "127.0.0.1";
    port = Number(u.port || 4222);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("data", (d) => finish(d.toString("utf8").startsWith("INFO")));
  });
}

/**
 * Starts a private `nats-server -js` child bound to 127.0.0.1, for tests and `npm start`.
 * Rejects with {@link NatsServerStartError} naming the binary when it is missing or exits early.
 *
 * The server dies with this process: on SIGTERM, SIGINT or SIGHUP without a handler of the
 * process's own it is stopped and the process still dies of the signal; with such a handler it is
 * stopped when the process exits; and a watchdog ends it within about 2 s of this process dying
 * any other way (SIGKILL included). See `server-reaper.ts`.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  // Debian installs to /usr/sbin, which is not on every user's PATH.
  const binary = options.binary ?? process.env.NATS_SERVER_BIN ?? (existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server");
  const port = options.port || (await freePort());
  const ownStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "fulcrum-nats-"));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess;
  let exited: { code: number | null; stderr: string } | undefined;
  let stderr = "";
  try {
    // Its own process group: a terminal Ctrl-C must not kill the server before the services that
    // use it have drained; `stop()`, this process exiting, or its watchdog ends it.
    const config = options.configFile ? ["-c", options.configFile] : [];
    child = spawn(binary, [...config, "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
  } catch (cause) {
    throw new NatsServerStartError(`cannot start ${binary}: ${(cause as Error).message}`, { cause });
  }
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const killOnExit = (): void => {
    if (!exited) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      if (exited) {
        cleanup();
        resolve();
        return;
      }
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(killer);
        cleanup();
        resolve();
      });
      child.kill("SIGTERM");
    });
    return stopped;
  };
  const unregister = reapOnSignal({ stop, kill: () => child.kill("SIGKILL") });
  child.once("exit", (code) => {
    exited = { code, stderr };
    process.off("exit", killOnExit);
    watchdog?.kill("SIGKILL");
    unregister();
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    const failure = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failure) {
      unregister(); // no process, so no `exit` event to do it
      cleanup();
      const hint = (failure as NodeJS.ErrnoException).code === "ENOENT" ? " (not installed? `npm run setup` installs Debian's nats-server, or set NATS_SERVER_BIN)" : "";
      throw new NatsServerStartError(`cannot start ${binary}: ${failure.message}${hint}`, { cause: failure });
    }
    if (exited) {
      cleanup();
      throw new NatsServerStartError(`${binary} exited with code ${exited.code} before accepting connections:\n${exited.stderr}`);
    }
    if (await isNatsReachable(url, 200)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      cleanup();
      throw new NatsServerStartError(`${binary} did not accept connections on ${url} within ${options.startTimeoutMs ?? 10_000} ms`);
    }
  }

  function cleanup(): void {
    if (ownStore) rmSync(storeDir, { recursive: true, force: true });
  }

  return { url, port, pid: child.pid, stop };
}
