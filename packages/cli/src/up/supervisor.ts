import { spawnService, stopChild, tail, waitReady, type ChildSpec, type ManagedChild } from "@fulcrum/actuator";

/** Restart policy of a supervised service. */
export interface RestartPolicy {
  /** Restart it when it exits unexpectedly. */
  readonly restart: boolean;
  /** First restart delay, ms; doubles per consecutive crash. @default 500 */
  readonly backoffBaseMs?: number;
  /** Longest delay, ms. @default 30000 */
  readonly backoffMaxMs?: number;
  /** Up this long without crashing and the backoff starts over, ms. @default 60000 */
  readonly healthyAfterMs?: number;
}

/** A supervised service: its current process, and how often it was restarted. */
export interface SupervisedService {
  readonly spec: ChildSpec;
  /** The current process (a new one after each restart). */
  child: ManagedChild;
  restarts: number;
  /** Why it last exited unexpectedly, with its log tail. */
  lastCrash?: string;
}

/**
 * Starts the launcher's service processes, waits for their readiness, restarts one that crashes
 * (with exponential backoff, same ports, logging why), and stops them all in reverse start order
 * (SIGTERM, SIGKILL after a grace). The system keeps serving while a peer restarts: the data plane
 * does not depend on the monitor, predictor or optimizer, and the gateway keeps its ports.
 */
export class Supervisor {
  readonly services: SupervisedService[] = [];
  private stopping = false;
  private readonly retired = new Set<string>();

  constructor(
    private readonly repoRoot: string,
    private readonly logDir: string,
    private readonly out: (line: string) => void,
  ) {}

  start(spec: ChildSpec, policy: RestartPolicy = { restart: true }): SupervisedService {
    const svc: SupervisedService = { spec, child: spawnService(spec, this.repoRoot, this.logDir), restarts: 0 };
    this.services.push(svc);
    if (policy.restart) void this.watch(svc, policy);
    return svc;
  }

  private async watch(svc: SupervisedService, policy: RestartPolicy): Promise<void> {
    let crashes = 0;
    for (;;) {
      const startedAt = Date.now();
      const code = await svc.child.exited;
      if (this.stopping || this.retired.has(svc.spec.name)) return;
      if (Date.now() - startedAt > (policy.healthyAfterMs ?? 60_000)) crashes = 0;
      crashes += 1;
      const delayMs = Math.min(policy.backoffMaxMs ?? 30_000, (policy.backoffBaseMs ?? 500) * 2 ** (crashes - 1));
      svc.lastCrash = `exited unexpectedly (${code}); log tail:\n${tail(svc.child.logFile, 8)}`;
      this.out(`${svc.spec.name} ${svc.lastCrash}\n${svc.spec.name}: restarting in ${delayMs} ms (restart ${svc.restarts + 1})`);
      await new Promise((r) => setTimeout(r, delayMs));
      if (this.stopping) return;
      svc.child = spawnService(svc.spec, this.repoRoot, this.logDir);
      svc.restarts += 1;
      waitReady(svc.child, 120_000).then(
        () => this.out(`${svc.spec.name}: back (restart ${svc.restarts})`),
        (err: unknown) => this.out(`${svc.spec.name}: restart ${svc.restarts} not ready: ${(err as Error).message}`),
      );
    }
  }

  /**
   * From now on an exit is part of the shutdown, not a crash: no "exited unexpectedly", no restart.
   * Called as soon as a stop is asked for, before the ordered shutdown stops anything: Ctrl-C
   * signals the whole process group, so the services stop on their own meanwhile, and a restart
   * then would start a fresh process only to stop it. Idempotent.
   */
  beginStop(): void {
    this.stopping = true;
  }

  waitReady(svc: SupervisedService, timeoutMs: number): Promise<void> {
    return waitReady(svc.child, timeoutMs);
  }

  /** Stops one service for good (no restart), SIGKILL after `graceMs`. */
  async stopService(name: string, graceMs: number): Promise<void> {
    const svc = this.services.find((s) => s.spec.name === name);
    if (!svc) return;
    this.retired.add(name);
    await stopChild(svc.child, graceMs);
  }

  /**
   * Stops every service at once (SIGTERM; SIGKILL after `graceMs`), so a shutdown takes one grace
   * at most, not one per service; idempotent. No restart follows.
   */
  async stopAll(graceMs: number): Promise<void> {
    this.beginStop();
    await Promise.all(this.services.map((s) => stopChild(s.child, graceMs)));
  }
}
