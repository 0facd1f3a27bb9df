import { spawn, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";

/**
 * Ends private nats-servers with the process that started them. The server runs in its own
 * process group (a terminal's Ctrl-C must not kill it before the services using it have drained),
 * so nothing ends it when its parent dies. Two mechanisms:
 *
 * - **Signals**: on SIGTERM, SIGINT or SIGHUP, when the process has no handler of its own for
 *   that signal, every registered server is stopped and the signal is raised again, so the process
 *   still dies of it (exit status 128 + n). When the process has its own handler, that handler
 *   owns the shutdown (`fulcrum up` drains its services before stopping NATS): nothing is
 *   stopped early, and the server goes when the process exits (the `exit` hook or the watchdog).
 * - **Watchdog** (the backstop for SIGKILL, a crash, or a handler that exits without stopping):
 *   a tiny `sh` reads its stdin, a pipe whose only writer is this process; when this process is
 *   gone, however it died, the kernel closes the pipe, `read` returns, and the watchdog sends the
 *   server SIGTERM, then SIGKILL if it is still there after 2 s. No polling, no pid reuse of the
 *   parent to fool it. Node has no `prctl(PR_SET_PDEATHSIG)`, hence the watchdog.
 *
 * A library that re-raises only when it holds every listener (like `signal-exit`) would see this
 * listener as foreign and not re-raise; none is in this process tree today.
 */

/** What the reaper needs of a running server. */
export interface ReapableServer {
  /** Graceful stop (SIGTERM, then SIGKILL); resolves once the process is gone. */
  stop(): Promise<void>;
  /** Immediate SIGKILL. */
  kill(): void;
}

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
/** How long the signal path waits for graceful stops before SIGKILL, ms. */
const SIGNAL_STOP_GRACE_MS = 2000;

const running = new Set<ReapableServer>();
let reaping = false;

function onSignal(signal: NodeJS.Signals): void {
  const own = process.listeners(signal).some((l) => l !== onSignal);
  if (own) return;
  if (reaping) {
    // A second signal while stopping: no more grace.
    for (const s of running) s.kill();
    reRaise(signal);
    return;
  }
  reaping = true;
  const servers = [...running];
  const grace = new Promise<void>((r) => setTimeout(r, SIGNAL_STOP_GRACE_MS).unref());
  void Promise.race([Promise.all(servers.map((s) => s.stop())), grace]).then(() => {
    for (const s of servers) s.kill();
    reRaise(signal);
  });
}

function reRaise(signal: NodeJS.Signals): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  reaping = false;
  process.kill(process.pid, signal);
}

/**
 * Registers a running server to be stopped on SIGTERM/SIGINT/SIGHUP when the process has no
 * handler of its own; returns the function that unregisters it (call it once the server exited).
 * The signal listener is installed with the first server and removed with the last, so a process
 * without a running server keeps the default signal behaviour.
 */
export function reapOnSignal(server: ReapableServer): () => void {
  if (running.size === 0) {
    // First in line: a caller's `once` handler is still listed when this one looks for it.
    for (const s of SIGNALS) process.prependListener(s, onSignal);
  }
  running.add(server);
  return () => {
    if (!running.delete(server) || running.size > 0 || reaping) return;
    for (const s of SIGNALS) process.off(s, onSignal);
  };
}

// `$1` is the server's pid. `read` returns at EOF, i.e. when the parent has died.
const WATCHDOG_SCRIPT = 'read -r _; kill -TERM "$1" 2>/dev/null; i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL "$1" 2>/dev/null';

/**
 * Starts the watchdog of the server with pid `serverPid`: it ends that server once this process
 * is gone. Kill the returned child (SIGKILL) when the server stops normally. It never keeps this
 * process's event loop alive.
 */
export function startWatchdog(serverPid: number): ChildProcess {
  const watchdog = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "fulcrum-nats-watchdog", String(serverPid)], {
    stdio: ["pipe", "ignore", "ignore"],
    // Out of the terminal's process group, like the server: Ctrl-C must not end it first.
    detached: true,
  });
  watchdog.on("error", () => {}); // no /bin/sh: only the backstop is missing
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}
