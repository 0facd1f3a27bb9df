import type { SlotTarget } from "@fulcrum/core/reconcile";
import { freePort } from "@fulcrum/runtime";
import { ReplicaStartError, UnknownReplicaError } from "./errors.js";
import type { ActuatedReplica, Actuator, ReplicaSpec } from "./port.js";
import { spawnService, stopChild, type ManagedChild } from "./service-process.js";

/** Options of {@link LocalActuator}. */
export interface LocalActuatorOptions {
  /** Repository root (child processes run the services' TypeScript sources from it). */
  readonly repoRoot: string;
  /** Folder of the replicas' log files. */
  readonly logDir: string;
  /** Environment of every replica (NATS_URL, LOG_LEVEL, tracing, `FULCRUM_STAGE_FAMILY`, …). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Longest drain of one replica before it is killed, ms: its queue's grace plus the drain grace
   * plus time to deregister. @default 15000
   */
  readonly drainTimeoutMs?: number;
  /** Host the replicas bind and advertise. @default 127.0.0.1 */
  readonly host?: string;
}

interface LocalReplica {
  readonly spec: ReplicaSpec;
  readonly child: ManagedChild;
  readonly startedAtMs: number;
  draining?: Promise<void>;
}

/**
 * The local actuator: each replica is a child process of the launcher running the stage service
 * with `followPlacement` on (it applies its placement in place: variant, cores = intra-op threads,
 * batch), on its own free ports. Drain is SIGTERM, which the stage serves as a drain (registry
 * `draining`, queue served, deregistered, exit); a replica still running after `drainTimeoutMs`
 * is killed. Cores are not pinned: the core budget is what the reconciler plans against.
 */
export class LocalActuator implements Actuator {
  readonly name = "local";
  readonly capabilities = { inPlaceVariantChange: true };
  private readonly replicas = new Map<string, LocalReplica>();
  private closed: Promise<void> | undefined;

  constructor(private readonly options: LocalActuatorOptions) {}

  async start(spec: ReplicaSpec): Promise<void> {
    if (this.closed) throw new ReplicaStartError(spec.instance, "the actuator is closed");
    if (this.replicas.has(spec.instance)) throw new ReplicaStartError(spec.instance, "already exists");
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    const host = this.options.host ?? "127.0.0.1";
    const child = spawnService(
      {
        name: spec.instance,
        entry: "services/stage/src/main.ts",
        readyPort: metricsPort,
        address: `${host}:${grpcPort}`,
        env: {
          ...this.options.env,
          FULCRUM_STAGE_PIPELINE: spec.pipeline,
          FULCRUM_STAGE_STAGE: spec.stage,
          FULCRUM_STAGE_INSTANCE: spec.instance,
          FULCRUM_STAGE_VARIANT: spec.target.variant,
          FULCRUM_STAGE_CORES: String(spec.target.cores),
          FULCRUM_STAGE_BATCH_SIZE: String(spec.target.batchSize),
          FULCRUM_STAGE_FOLLOW_PLACEMENT: "true",
          FULCRUM_STAGE_GRPC_HOST: host,
          FULCRUM_STAGE_GRPC_PORT: String(grpcPort),
          FULCRUM_STAGE_METRICS_PORT: String(metricsPort),
        },
      },
      this.options.repoRoot,
      this.options.logDir,
    );
    if (child.exit !== undefined) throw new ReplicaStartError(spec.instance, `could not spawn (${child.exit})`);
    this.replicas.set(spec.instance, { spec, child, startedAtMs: Date.now() });
  }

  /** Nothing to change here: a local replica's cores are its intra-op threads, set by its placement. */
  async retarget(instance: string, _target: SlotTarget): Promise<void> {
    if (!this.replicas.has(instance)) throw new UnknownReplicaError(instance);
  }

  drain(instance: string): Promise<void> {
    const r = this.replicas.get(instance);
    if (!r) return Promise.reject(new UnknownReplicaError(instance));
    r.draining ??= stopChild(r.child, this.options.drainTimeoutMs ?? 15_000);
    return r.draining;
  }

  list(): readonly ActuatedReplica[] {
    return [...this.replicas.values()].map((r) => ({
      instance: r.spec.instance,
      stage: r.spec.stage,
      startedAtMs: r.startedAtMs,
      alive: r.child.exit === undefined,
      ...(r.child.exit !== undefined ? { exit: String(r.child.exit) } : {}),
      log: r.child.logFile,
      ...(r.child.process.pid !== undefined ? { pid: r.child.process.pid } : {}),
    }));
  }

  forget(instance: string): void {
    this.replicas.delete(instance);
  }

  /** The process of a replica (tests, fault injection). */
  processOf(instance: string): ManagedChild["process"] | undefined {
    return this.replicas.get(instance)?.child.process;
  }

  /**
   * Drains every replica and waits until each exited; one still running after `graceMs` is killed
   * (a shorter grace than `drainTimeoutMs` bounds a shutdown while NATS is away, when a replica
   * cannot deregister anyway). Idempotent: a later call with a shorter grace shortens it.
   */
  close(graceMs = this.options.drainTimeoutMs ?? 15_000): Promise<void> {
    const all = [...this.replicas.values()];
    const done = Promise.all(all.map((r) => Promise.all([stopChild(r.child, graceMs), r.draining?.catch(() => {})]))).then(() => undefined);
    for (const r of all) r.draining ??= done;
    this.closed = this.closed ? Promise.all([this.closed, done]).then(() => undefined) : done;
    return this.closed;
  }
}
