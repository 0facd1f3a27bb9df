import type { Logger } from "pino";

/** A service's lifecycle state. */
export type LifecycleState = "starting" | "ready" | "draining" | "stopped";

/** Options of {@link createLifecycle}. */
export interface LifecycleOptions {
  readonly logger?: Logger;
  /**
   * Longest time one shutdown step may take before it is abandoned and the next one runs, ms.
   * @default 10000
   */
  readonly stepTimeoutMs?: number;
  /**
   * Pid of the launcher that started this process (`FULCRUM_PARENT_PID`): when it is gone, the
   * signal handlers shut the service down as on SIGTERM, so a launcher killed with SIGKILL leaves
   * no orphans behind. Checked every `parentCheckMs`.
   */
  readonly parentPid?: number;
  /** @default 1000 */
  readonly parentCheckMs?: number;
}

/**
 * Explicit lifecycle with idempotent graceful shutdown. Steps run in registration order, so
 * register them as the shutdown order wants them: stop intake → drain → finish in-flight → flush
 * telemetry. A failing or hung step is logged and does not block the ones after it.
 */
export interface Lifecycle {
  /** Current state. */
  readonly state: LifecycleState;
  /** Marks the service ready (after start-up finished). */
  ready(): void;
  /** Registers a shutdown step. */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Runs every shutdown step once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
  /**
   * Calls {@link shutdown} on SIGINT/SIGTERM (and when the launcher named by `parentPid` is gone),
   * then exits with `exitCode`. Returns an uninstaller.
   */
  installSignalHandlers(exit?: (code: number) => void): () => void;
}

export function createLifecycle(options: LifecycleOptions = {}): Lifecycle {
  const steps: Array<{ name: string; step: () => Promise<void> | void }> = [];
  const stepTimeoutMs = options.stepTimeoutMs ?? 10_000;
  let state: LifecycleState = "starting";
  let done: Promise<void> | undefined;

  const runStep = async (name: string, step: () => Promise<void> | void): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), stepTimeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(step), timeout]);
      if (outcome === "timeout") options.logger?.warn({ step: name, timeoutMs: stepTimeoutMs }, "shutdown step timed out");
    } catch (err) {
      options.logger?.error({ step: name, err }, "shutdown step failed");
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    get state() {
      return state;
    },
    ready() {
      if (state === "starting") state = "ready";
    },
    onShutdown(name, step) {
      steps.push({ name, step });
    },
    shutdown(reason) {
      done ??= (async () => {
        state = "draining";
        options.logger?.info({ reason }, "shutting down");
        for (const { name, step } of steps) await runStep(name, step);
        state = "stopped";
        options.logger?.info("stopped");
      })();
      return done;
    },
    installSignalHandlers(exit = (code) => process.exit(code)) {
      const handler = (signal: NodeJS.Signals): void => {
        void this.shutdown(signal).then(() => exit(0));
      };
      process.once("SIGINT", handler);
      process.once("SIGTERM", handler);
      const parent = options.parentPid;
      const watch =
        parent !== undefined && parent > 1
          ? setInterval(() => {
              try {
                process.kill(parent, 0);
              } catch {
                clearInterval(watch);
                options.logger?.warn({ parentPid: parent }, "the launcher that started this process is gone: shutting down");
                void this.shutdown("launcher gone").then(() => exit(0));
              }
            }, options.parentCheckMs ?? 1000).unref()
          : undefined;
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
        if (watch) clearInterval(watch);
      };
    },
  };
}

/** The launcher's pid from `FULCRUM_PARENT_PID` (set by `fulcrum up` for its children), if any. */
export function launcherPid(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const pid = Number(env.FULCRUM_PARENT_PID);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
