import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Assignment } from "@fulcrum/core";
import type { RegistryRecord } from "@fulcrum/core/control";
import {
  DEFAULT_RECONCILE_CONFIG,
  desiredSlots,
  INITIAL_RECONCILE_STATE,
  planReconcile,
  recordStartFailure,
  recordStartSuccess,
  type ObservedReplica,
  type ReconcileAction,
  type ReconcileConfig,
  type ReconcileState,
  type ReplicaPhase,
  type SlotTarget,
} from "@fulcrum/core/reconcile";
import { control, KV_BUCKETS, kvKeys, REGISTRY_HEARTBEAT_MS } from "@fulcrum/proto";
import { followAssignments, toDomainRegistryRecord, toPbPlacement, unixClockMs, type Bus, type Logger, type Stoppable, type TypedKv } from "@fulcrum/runtime";
import { createReconcileMetrics, type ReconcileMetrics } from "./metrics.js";
import type { Actuator } from "./port.js";

const tracer = trace.getTracer("@fulcrum/actuator");

/** Default period of reconciliation passes, ms. */
export const DEFAULT_PASS_INTERVAL_MS = 1000;
/** Default time a new replica has to become ready before its start counts as failed, ms. */
export const DEFAULT_START_TIMEOUT_MS = 90_000;

/**
 * The reconciler's stated bound on replacing a dead replica, ms: from its death to a replacement
 * that serves (registered ready). A process that exits is seen at the next pass (≤ one pass
 * interval), a live process whose heartbeat stopped once its heartbeat is `staleMs` old; its
 * replacement is started in that pass and is ready within `startTimeoutMs`, or it counts as a
 * failed start (retried with backoff, which this bound does not cover).
 */
export function replacementBoundMs(o: { passIntervalMs?: number; startTimeoutMs?: number; staleMs?: number } = {}): number {
  return Math.max(o.passIntervalMs ?? DEFAULT_PASS_INTERVAL_MS, o.staleMs ?? 3 * REGISTRY_HEARTBEAT_MS) + (o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
}

/** Options of {@link startReconcileLoop}. */
export interface ReconcileLoopOptions {
  readonly pipeline: string;
  readonly bus: Bus;
  readonly actuator: Actuator;
  /** Cores the managed replicas may hold in all, at every moment (the optimizer gets the same limit). */
  readonly coreBudget: number;
  /** Planner options; `inPlaceVariantChange` follows the actuator's capabilities. */
  readonly config?: Partial<Omit<ReconcileConfig, "inPlaceVariantChange">>;
  /** Replicas wanted before the first Assignment exists, per stage (so the pipeline serves from the start). */
  readonly bootstrap: Readonly<Record<string, readonly SlotTarget[]>>;
  /**
   * The stages whose replicas this loop runs; the Assignment's other stages are run by someone else
   * (e.g. a stage outside the workspace that the launcher runs itself and that follows Assignments,
   * not placements). Their cores are not in `coreBudget`. @default every stage of the Assignment
   */
  readonly stages?: readonly string[];
  /** Period of reconciliation passes, ms (an Assignment or registry change also triggers one). @default {@link DEFAULT_PASS_INTERVAL_MS} */
  readonly passIntervalMs?: number;
  /** A new replica not ready by then is a failed start: it is stopped and its slot backs off, ms. @default {@link DEFAULT_START_TIMEOUT_MS} */
  readonly startTimeoutMs?: number;
  /** A ready replica whose heartbeat is older than this is dead, ms. @default 3 heartbeats */
  readonly staleMs?: number;
  /** Makes instance ids unique across launcher runs (a subject-token-safe string). @default "" */
  readonly instancePrefix?: string;
  readonly clock?: () => number;
  readonly logger?: Logger;
  readonly metrics?: ReconcileMetrics;
}

/** One managed replica as the loop tracks it. */
interface Managed {
  readonly instance: string;
  readonly stage: string;
  target: SlotTarget;
  generation: number;
  assignmentVersion: number;
  readonly startedAtMs: number;
  readyAtMs?: number;
  drainingSinceMs?: number;
  /** An in-place change under way: since when, to what. */
  retargeting?: { sinceMs: number; to: SlotTarget };
  exitLogged?: boolean;
}

/** What the launcher's status line and summary show. */
export interface ElasticSnapshot {
  readonly coreBudget: number;
  readonly coresHeld: number;
  readonly replicas: ReadonlyArray<{ instance: string; stage: string; variant: string; cores: number; batch: number; phase: ReplicaPhase }>;
  /** Per `stage/variant`: replicas by phase. */
  readonly byVariant: Readonly<Record<string, { ready: number; starting: number; draining: number }>>;
  /** Every cold start so far: new replica → ready, ms. */
  readonly coldStarts: ReadonlyArray<{ instance: string; stage: string; variant: string; ms: number }>;
  /** Start attempts that failed (exited or not ready in time). */
  readonly failedStarts: number;
  /** Actions taken, by kind. */
  readonly actions: Readonly<Record<ReconcileAction["kind"], number>>;
  /** Why the last pass left something undone. */
  readonly deferred: readonly string[];
  readonly assignmentVersion: number;
}

/** A running reconcile loop. */
export interface ReconcileLoop {
  snapshot(): ElasticSnapshot;
  /** Runs one pass now (tests; passes never overlap). */
  pass(): Promise<void>;
  /** Stops the loop (not the replicas: close the actuator for that); idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the reconcile loop of one pipeline, level-triggered as a Kubernetes controller: desired =
 * the Assignment in force (the KV entry `fulcrum_assignments/<p>`, the version authority), observed = the
 * registry (KV `fulcrum_registry`, heartbeats) and the actuator's own processes. Every pass plans
 * with `planReconcile` (pure, `@fulcrum/core/reconcile`) and carries out the actions: a start puts
 * the replica's placement (KV `fulcrum_placements`) then creates it; a retarget puts a newer
 * placement, which the replica applies in place; a drain stops it gracefully; a forget cleans up
 * after a dead one. Each action is logged with its reason and duration, exported as a span and in
 * Prometheus. While the control plane is away (its NATS connection down, or every replica's heartbeat
 * stale at once) it holds, and for `staleMs` after a reconnection it does not take a stale heartbeat
 * for a dead replica: it never kills replicas because NATS was down.
 */
export async function startReconcileLoop(o: ReconcileLoopOptions): Promise<ReconcileLoop> {
  const clock = o.clock ?? unixClockMs;
  const log = o.logger;
  const staleMs = o.staleMs ?? 3 * REGISTRY_HEARTBEAT_MS;
  const startTimeoutMs = o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const config: ReconcileConfig = { ...DEFAULT_RECONCILE_CONFIG, ...o.config, inPlaceVariantChange: o.actuator.capabilities.inPlaceVariantChange };
  const metrics = o.metrics ?? createReconcileMetrics();
  const p = o.pipeline;
  metrics.coreBudget.set({ pipeline: p }, o.coreBudget);

  let assignment: Assignment | undefined;
  const registry = new Map<string, RegistryRecord>();
  const managed = new Map<string, Managed>();
  let planState: ReconcileState = INITIAL_RECONCILE_STATE;
  const coldStarts: Array<{ instance: string; stage: string; variant: string; ms: number }> = [];
  const actionCounts: Record<ReconcileAction["kind"], number> = { start: 0, retarget: 0, drain: 0, forget: 0 };
  let failedStarts = 0;
  let deferred: readonly string[] = [];
  let holding = false;
  /** When the NATS connection last came back (heartbeats older than that may be the outage's, not the replica's). */
  let reconnectedAtMs: number | undefined;
  let disconnected = false;
  /** What the last pass observed (the snapshot reads it; observing has side effects: cold starts, failures). */
  let lastObserved: readonly ObservedReplica[] = [];

  const placements: TypedKv = await o.bus.kv(KV_BUCKETS.placements);
  const registryKv: TypedKv = await o.bus.kv(KV_BUCKETS.registry);
  const subs: Stoppable[] = [
    // The KV entry is the version authority (the optimizer writes it with compare-and-set): a stray
    // broadcast with a huge version cannot freeze the loop, and a refused one is logged by the follower.
    await followAssignments({
      bus: o.bus,
      pipeline: p,
      ...(log ? { logger: log } : {}),
      onUpdate: (u) => {
        if (!("assignment" in u)) return;
        assignment = u.assignment;
        trigger();
      },
    }),
    await registryKv.watch(kvKeys.registryOfPipeline(p), control.RegistryEntry, (e, key) => {
      const instance = key.split(".")[2] ?? "";
      if (!e) {
        registry.delete(instance);
        return;
      }
      try {
        const r = toDomainRegistryRecord(e);
        registry.set(r.instance, r);
      } catch (err) {
        log?.warn({ err, key }, "reconciler: ignoring an invalid registry entry");
      }
    }),
  ];

  const putPlacement = async (m: Managed): Promise<void> => {
    await placements.put(
      kvKeys.placement(p, m.stage, m.instance),
      control.ReplicaPlacement,
      toPbPlacement({ pipeline: p, stage: m.stage, instance: m.instance, target: m.target, assignmentVersion: m.assignmentVersion, generation: m.generation }),
    );
  };
  const cleanUp = async (m: Managed): Promise<void> => {
    await placements.delete(kvKeys.placement(p, m.stage, m.instance)).catch(() => {});
    await registryKv.delete(kvKeys.registry(p, m.stage, m.instance)).catch(() => {});
    o.actuator.forget(m.instance);
    managed.delete(m.instance);
  };
  /** Runs one action inside a span; logs it with its reason; counts it. */
  const act = async (a: ReconcileAction, work: () => Promise<void>): Promise<void> => {
    const t0 = clock();
    await tracer.startActiveSpan(`reconcile.${a.kind}`, { attributes: { "fulcrum.pipeline": p, "fulcrum.stage": a.stage, "fulcrum.instance": a.instance, "fulcrum.reason": a.reason } }, async (span) => {
      try {
        await work();
        metrics.actions.inc({ pipeline: p, kind: a.kind, result: "ok" });
        actionCounts[a.kind] += 1;
        log?.info({ action: a.kind, instance: a.instance, stage: a.stage, reason: a.reason, ...("to" in a ? { to: a.to } : "target" in a ? { target: a.target } : {}), ms: Math.round(clock() - t0) }, `reconciler: ${a.kind} ${a.instance}`);
      } catch (err) {
        metrics.actions.inc({ pipeline: p, kind: a.kind, result: "failed" });
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        log?.warn({ err, action: a.kind, instance: a.instance, reason: a.reason }, `reconciler: ${a.kind} ${a.instance} failed`);
      } finally {
        span.end();
      }
    });
  };

  const observe = (now: number): ObservedReplica[] => {
    const alive = new Map(o.actuator.list().map((r) => [r.instance, r]));
    const out: ObservedReplica[] = [];
    for (const m of managed.values()) {
      const proc = alive.get(m.instance);
      const entry = registry.get(m.instance);
      const fresh = entry !== undefined && now - entry.heartbeatMs <= staleMs;
      let phase: ReplicaPhase;
      if (!proc || !proc.alive) {
        phase = "dead";
        if (!m.exitLogged) {
          m.exitLogged = true;
          if (m.readyAtMs === undefined && m.drainingSinceMs === undefined) {
            failedStarts += 1;
            planState = recordStartFailure(planState, m.stage, m.target.variant, config, now);
          }
          if (m.drainingSinceMs === undefined) log?.warn({ instance: m.instance, exit: proc?.exit, log: proc?.log }, "reconciler: replica exited unexpectedly; it will be replaced");
        }
      } else if (m.drainingSinceMs !== undefined || entry?.state === "draining") {
        phase = "draining";
      } else if (entry?.state === "ready" && fresh) {
        phase = "ready";
        if (m.readyAtMs === undefined) {
          m.readyAtMs = now;
          const ms = now - m.startedAtMs;
          coldStarts.push({ instance: m.instance, stage: m.stage, variant: m.target.variant, ms });
          metrics.coldStartSeconds.observe({ pipeline: p, stage: m.stage, variant: m.target.variant }, ms / 1000);
          metrics.coldStarts.inc({ pipeline: p, stage: m.stage, variant: m.target.variant });
          metrics.actionSeconds.observe({ pipeline: p, kind: "start" }, ms / 1000);
          planState = recordStartSuccess(planState, m.stage, m.target.variant);
          log?.info({ instance: m.instance, variant: m.target.variant, coldStartMs: Math.round(ms) }, "reconciler: replica ready");
        }
        if (m.retargeting && entry.variant === m.retargeting.to.variant && entry.cores === m.retargeting.to.cores && entry.batch === m.retargeting.to.batchSize) {
          metrics.actionSeconds.observe({ pipeline: p, kind: "retarget" }, (now - m.retargeting.sinceMs) / 1000);
          m.retargeting = undefined;
        }
      } else if (m.readyAtMs !== undefined && !fresh && (reconnectedAtMs === undefined || now - reconnectedAtMs > staleMs)) {
        // Was ready, heartbeat gone: dead to the data plane although its process runs. Not within
        // `staleMs` of a reconnection: the replicas' heartbeats need that long to come back.
        phase = "dead";
      } else if (m.readyAtMs !== undefined && !fresh) {
        phase = "ready";
      } else if (now - m.startedAtMs > startTimeoutMs) {
        failedStarts += 1;
        planState = recordStartFailure(planState, m.stage, m.target.variant, config, now);
        log?.warn({ instance: m.instance, startTimeoutMs, log: proc.log }, "reconciler: replica not ready in time; stopping it");
        drain(m);
        phase = "draining";
      } else {
        phase = "starting";
      }
      const coresHeld = Math.max(m.target.cores, entry?.cores ?? 0);
      out.push({ instance: m.instance, stage: m.stage, phase, target: m.target, coresHeld, ...(entry ? { servable: entry.variants } : {}) });
    }
    return out;
  };

  const drain = (m: Managed): void => {
    if (m.drainingSinceMs !== undefined) return;
    const since = clock();
    m.drainingSinceMs = since;
    void o.actuator
      .drain(m.instance)
      .catch((err: unknown) => log?.warn({ err, instance: m.instance }, "reconciler: drain failed"))
      .then(async () => {
        metrics.actionSeconds.observe({ pipeline: p, kind: "drain" }, (clock() - since) / 1000);
        await cleanUp(m);
        trigger();
      });
  };

  const execute = async (a: ReconcileAction, version: number): Promise<void> => {
    switch (a.kind) {
      case "forget": {
        const m = managed.get(a.instance);
        await act(a, async () => {
          if (m) {
            // A live process whose heartbeat stopped is stopped for good before it is replaced.
            if (o.actuator.list().some((r) => r.instance === a.instance && r.alive)) await o.actuator.drain(a.instance).catch(() => {});
            await cleanUp(m);
          }
        });
        return;
      }
      case "start": {
        const m: Managed = { instance: a.instance, stage: a.stage, target: a.target, generation: 1, assignmentVersion: version, startedAtMs: clock() };
        managed.set(a.instance, m);
        await act(a, async () => {
          try {
            await putPlacement(m);
            await o.actuator.start({ pipeline: p, stage: a.stage, instance: a.instance, target: a.target });
          } catch (err) {
            failedStarts += 1;
            planState = recordStartFailure(planState, a.stage, a.target.variant, config, clock());
            await cleanUp(m);
            throw err;
          }
        });
        return;
      }
      case "retarget": {
        const m = managed.get(a.instance);
        if (!m) return;
        await act(a, async () => {
          m.target = a.to;
          m.generation += 1;
          m.assignmentVersion = version;
          m.retargeting = { sinceMs: clock(), to: a.to };
          await o.actuator.retarget(a.instance, a.to);
          await putPlacement(m);
        });
        return;
      }
      case "drain": {
        const m = managed.get(a.instance);
        if (!m) return;
        await act(a, async () => drain(m));
        return;
      }
    }
  };

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const pass = async (): Promise<void> => {
    const now = clock();
    // NATS away: heartbeats cannot arrive, so their age says nothing about the replicas; and no
    // placement could be written. Hold (the replicas keep serving) until it returns.
    if (!o.bus.connected) {
      if (!holding) log?.warn("reconciler: NATS is disconnected: holding until it returns");
      holding = true;
      reconnectedAtMs = undefined;
      disconnected = true;
      return;
    }
    if (disconnected) {
      disconnected = false;
      reconnectedAtMs = now;
    }
    const observed = observe(now);
    lastObserved = observed;
    // Every live replica stale at once means the control plane is away, not the replicas: hold.
    const live = observed.filter((r) => r.phase !== "draining");
    const staleAll = live.length > 0 && live.every((r) => r.phase === "dead") && [...managed.values()].every((m) => o.actuator.list().find((x) => x.instance === m.instance)?.alive);
    if (staleAll) {
      if (!holding) log?.warn({ replicas: live.length }, "reconciler: every heartbeat is stale while the processes run (NATS away?): holding until it returns");
      holding = true;
      return;
    }
    if (holding) log?.info("reconciler: heartbeats are back; reconciling again");
    holding = false;
    const wanted = assignment ? desiredSlots(assignment.stages) : o.bootstrap;
    const desired = o.stages ? Object.fromEntries(Object.entries(wanted).filter(([stage]) => o.stages!.includes(stage))) : wanted;
    const version = assignment?.version ?? 0;
    const out = planReconcile({ desired, observed, coreBudget: o.coreBudget, instancePrefix: o.instancePrefix ?? "" }, planState, config, now);
    planState = out.state;
    deferred = out.plan.deferred;
    if (out.plan.deferred.length > 0) log?.debug({ deferred: out.plan.deferred }, "reconciler: deferred");
    await Promise.all(out.plan.actions.map((a) => execute(a, version)));
    // Replicas whose target did not change still confirm the new version (they ack it), as stages
    // following the Assignment do.
    for (const m of managed.values()) {
      if (m.assignmentVersion >= version || m.drainingSinceMs !== undefined || out.plan.actions.some((a) => a.instance === m.instance)) continue;
      m.assignmentVersion = version;
      m.generation += 1;
      await putPlacement(m).catch((err: unknown) => log?.warn({ err, instance: m.instance }, "reconciler: placement confirmation failed"));
    }
    publishGauges(observed);
  };
  const publishGauges = (observed: readonly ObservedReplica[]): void => {
    metrics.replicas.reset();
    for (const r of observed) metrics.replicas.inc({ pipeline: p, stage: r.stage, variant: r.target.variant, phase: r.phase });
    metrics.coresHeld.set({ pipeline: p }, observed.filter((r) => r.phase !== "dead").reduce((s, r) => s + (r.coresHeld ?? r.target.cores), 0));
    metrics.deferred.set({ pipeline: p }, deferred.length);
  };
  const runPass = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        if (stopped) return;
        await pass().catch((err: unknown) => log?.error({ err }, "reconciler: pass failed"));
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  function trigger(): void {
    if (!stopped) void runPass();
  }
  const timer = setInterval(trigger, o.passIntervalMs ?? DEFAULT_PASS_INTERVAL_MS);
  trigger();

  let stopping: Promise<void> | undefined;
  return {
    snapshot(): ElasticSnapshot {
      const observed = lastObserved;
      const byVariant: Record<string, { ready: number; starting: number; draining: number }> = {};
      for (const r of observed) {
        if (r.phase === "dead") continue;
        const k = `${r.stage}/${r.target.variant}`;
        byVariant[k] ??= { ready: 0, starting: 0, draining: 0 };
        byVariant[k][r.phase] += 1;
      }
      return {
        coreBudget: o.coreBudget,
        coresHeld: observed.filter((r) => r.phase !== "dead").reduce((s, r) => s + (r.coresHeld ?? r.target.cores), 0),
        replicas: observed.map((r) => ({ instance: r.instance, stage: r.stage, variant: r.target.variant, cores: r.target.cores, batch: r.target.batchSize, phase: r.phase })),
        byVariant,
        coldStarts: [...coldStarts],
        failedStarts,
        actions: { ...actionCounts },
        deferred: [...deferred],
        assignmentVersion: assignment?.version ?? 0,
      };
    },
    pass: runPass,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await running;
        for (const s of subs) await s.stop();
      })();
      return stopping;
    },
  };
}
