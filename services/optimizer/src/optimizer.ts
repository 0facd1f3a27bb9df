import { performance } from "node:perf_hooks";
import { SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext } from "@opentelemetry/api";
import { totalCores, type Assignment } from "@fulcrum/core";
import { AckTracker, buildPolicyInput, decisionRate, diffAssignments, forecastRps, usableForecast, type DecisionContext, type LoadForecast, type LoadSample, type VersionAcks } from "@fulcrum/core/control";
import { POLICIES, type Explanation, type PolicyDefinition, type PolicyState, type Solver } from "@fulcrum/core/policies";
import {
  Refusals,
  startMetricsServer,
  toDomainAssignment,
  toPbAssignment,
  unixClockMs,
  type AssignmentLimits,
  type Bus,
  type LifecycleState,
  type Logger,
  type MetricsServerHandle,
  type Stoppable,
} from "@fulcrum/runtime";
import type { control } from "@fulcrum/proto";
import { createHighsSolver, type HighsSolver } from "@fulcrum/solver";
import { toPolicyShape, type OptimizerConfig } from "./config.js";
import { RolloutWatch } from "./control/rollout-watch.js";
import { StartupEstimate, withLearnedStartup } from "./control/startup-estimate.js";
import { createGuardMetrics } from "./telemetry/guard-metrics.js";
import { createOptimizerMetrics, recordAssignment, type OptimizerMetrics } from "./telemetry/metrics.js";
import { openAssignmentStore, type AssignmentStore } from "./transport/assignment-store.js";
import { startNatsHandlers } from "./transport/nats-handlers.js";

/** Lifecycle state of the optimizer. */
export type OptimizerState = LifecycleState;

/** What the composition root (or a test) passes in. */
export interface OptimizerDeps {
  /** Control-plane connection; the caller owns it (and drains it after `shutdown()`). */
  readonly bus: Bus;
  readonly logger: Logger;
  /** Solver for policies with `usesSolver`. @default a HiGHS worker, created here and closed on shutdown */
  readonly solver?: Solver;
  /** Unix ms clock. @default `unixClockMs` */
  readonly clock?: () => number;
}

/**
 * The outcome of one decision. `published`: a new version was written to KV and broadcast.
 * `pending`: decided, but NATS is away; it is retried until written (`version` is the one it will
 * most likely get). `unchanged`: the policy decided what is already in force, so nothing was
 * written (no new version: replicas are not told again what they already run). `kept`: the policy
 * did not decide and the last assignment stays in force; `reason` says why (`no-forecast:kept`,
 * `stale-forecast:kept`, `policy-error:kept`, `invalid-decision:kept`).
 */
export interface DecisionOutcome {
  readonly kind: "published" | "pending" | "unchanged" | "kept";
  /** Version in force after the decision (0: none yet). */
  readonly version: number;
  /** The Assignment's `reason` (`optimal`, `held`, `fallback:<reason>`) or why it was kept. */
  readonly reason: string;
  readonly assignment?: Assignment;
  readonly explanation?: Explanation;
  /** Wall time of the policy decision, ms. */
  readonly solveMs?: number;
  /** (stage, variant) allocations that differ from the assignment in force before (0 when `unchanged`). */
  readonly changes: number;
  /** λ̂ decided for, rps. */
  readonly forecastRps?: number;
}

/** A running optimizer. */
export interface OptimizerHandle {
  readonly config: OptimizerConfig;
  readonly state: OptimizerState;
  /** Version of the assignment in force: the last one written to KV (0 before any). */
  readonly version: number;
  /** The assignment decided last (written, or pending while NATS is away; read from KV at start). */
  readonly current: Assignment | undefined;
  /** A decided Assignment not yet written to KV (NATS away), retried until it is. */
  readonly pending: Assignment | undefined;
  /** Forecasts, load samples, acks and registry entries refused. */
  readonly refusals: Refusals;
  readonly metricsPort: number;
  readonly metrics: OptimizerMetrics;
  /** Acks received for `version` (tracked for the last `ackHistory` versions). */
  acks(version: number): VersionAcks | undefined;
  /** Runs one decision now (serialised with the periodic ones). */
  decideNow(): Promise<DecisionOutcome>;
  /** Stops the loop and the subscriptions, closes metrics and the owned solver. Idempotent. */
  shutdown(): Promise<void>;
}

const tracer = trace.getTracer("@fulcrum/optimizer");
const LOAD_SAMPLES_KEPT = 3600;

/**
 * Starts the control loop of one pipeline: continues from the version stored in KV, consumes
 * forecasts, load samples and acks, and every `intervalMs` runs the configured policy; when its
 * decision differs from the assignment in force (`diffAssignments`), or the KV entry is no longer
 * the one this optimizer wrote, it publishes Assignment version+1 (KV, then the subject). An
 * unchanged decision publishes nothing: every new version costs each replica a placement
 * generation, an ack and a registry write. Replicas that have not acked the version in force get it
 * re-broadcast. With no fresh forecast it keeps the last assignment. Each decision is one
 * `optimizer.decide` span; metrics on `/metrics`.
 */
export async function startOptimizer(config: OptimizerConfig, deps: OptimizerDeps): Promise<OptimizerHandle> {
  const { bus, logger: log } = deps;
  const clock = deps.clock ?? unixClockMs;
  const policy: PolicyDefinition = POLICIES[config.policy];
  let ownedSolver: HighsSolver | undefined;
  const solver = deps.solver ?? (policy.usesSolver ? (ownedSolver = createHighsSolver()) : undefined);
  const metrics = createOptimizerMetrics(config.pipeline);
  const refusals = new Refusals(log);
  const guard = createGuardMetrics(metrics.registry, refusals);
  const acks = new AckTracker(config.ackHistory);
  const rollout = new RolloutWatch({ ackTimeoutMs: config.ackTimeoutMs, ackRetries: config.ackRetries, replicaStaleMs: config.replicaStaleMs });
  const shape = toPolicyShape(config.spec);
  const loadTimes = new Map(shape.stages.flatMap((st) => st.variants.map((v) => [v.name, v.loadTimeMs ?? 0] as const)));
  const startup = new StartupEstimate({ watchStartedMs: clock(), loadTimeMs: (v) => loadTimes.get(v) ?? 0 });
  // A policy that prices actuation is told the start-ups seen in the registry, not the schema's guess.
  const policyConfig = (): Readonly<Record<string, unknown>> => withLearnedStartup(config.policyConfig, policy.pricesActuation, startup.medianMs);
  /** The start-up the policy is told now (when it prices actuation), on the gauge. */
  const showReplicaStart = (): void => {
    if (!policy.pricesActuation) return;
    const ms = (policy.configSchema.parse(policyConfig()) as { replicaStartMs?: number }).replicaStartMs;
    if (ms !== undefined) metrics.replicaStartSeconds.set(ms / 1000);
  };
  showReplicaStart();
  // What an Assignment of this optimizer can hold; a stored (or foreign) one beyond it is not adopted.
  const limits: AssignmentLimits = {
    maxCoresPerReplica: Math.max(...config.limits.coresPerReplica),
    maxBatch: Math.max(...config.limits.batches),
    maxReplicas: config.limits.maxCores,
    maxTotalCores: config.limits.maxCores,
  };
  let state: OptimizerState = "starting";
  let current: Assignment | undefined;
  /**
   * The KV entry holds an Assignment this optimizer did not write (seen on a compare-and-set
   * conflict or a re-read): the next decision is published even when it equals `current`.
   */
  let foreign = false;
  /** Validates an Assignment read from KV; undefined (logged) when it is not one this optimizer could have made. */
  const adoptable = (pb: control.Assignment | undefined, what: string): Assignment | undefined => {
    if (!pb) return undefined;
    try {
      return toDomainAssignment(pb, limits);
    } catch (err) {
      log.warn({ err, version: pb.version }, `${what} is not a valid assignment within this optimizer's limits: numbering above it without adopting it`);
      return undefined;
    }
  };

  const store: AssignmentStore = await openAssignmentStore({
    bus,
    pipeline: config.pipeline,
    logger: log,
    retryMs: config.kvRetryMs,
    onWritten(a, reason) {
      guard.pendingWrite.set(0);
      foreign = false;
      current = a;
      written(a);
      log.info({ version: a.version, reason }, "assignment decided while NATS was away is written and published");
    },
    onConflict(stored, ours) {
      guard.kvConflicts.inc();
      foreign = true;
      log.warn({ ours, stored: stored?.version }, `assignments KV changed under the optimizer (v${stored?.version ?? "?"} written by someone else): numbering above it`);
      const a = adoptable(stored, "the Assignment found in KV");
      if (a) current = a;
    },
    onWriteFailed(err, v) {
      guard.kvWriteFailures.inc();
      guard.pendingWrite.set(1);
      log.warn({ err, version: v }, "could not write the assignment to KV (the version authority): retrying until it is written");
    },
  });
  if (store.version > 0) {
    current = adoptable(store.stored, "the stored Assignment");
    log.info({ version: store.version }, "continuing from the stored assignment");
  }
  metrics.version.set(store.version);
  if (current) recordAssignment(metrics, current);

  let forecast: { value: LoadForecast; span?: SpanContext } | undefined;
  const loads: LoadSample[] = [];
  let policyState: PolicyState | undefined;

  const bounds = () => ({ maxRps: config.maxRps, maxClockSkewMs: config.maxClockSkewMs, nowMs: clock() });
  const subs: Stoppable[] = await startNatsHandlers(bus, config.pipeline, {
    onForecast(f) {
      if (forecast && f.createdAtMs < forecast.value.createdAtMs) return;
      const span = trace.getActiveSpan()?.spanContext();
      forecast = { value: f, ...(span ? { span } : {}) };
    },
    onLoad(l) {
      loads.push(l);
      if (loads.length > LOAD_SAMPLES_KEPT) loads.splice(0, loads.length - LOAD_SAMPLES_KEPT);
    },
    onAck(a) {
      const known = acks.record(a);
      rollout.acked(a.version, a.stage, a.instance);
      metrics.acks.inc({ outcome: !known ? "untracked" : a.applied ? "applied" : "failed" });
      if (known && a.applied) metrics.ackApplySeconds.observe(a.applyMs / 1000);
      if (!a.applied) log.warn({ version: a.version, stage: a.stage, instance: a.instance, error: a.error }, "assignment not applied by an instance");
    },
    onReplica(r) {
      rollout.seen(r);
      const startMs = startup.observe(r);
      if (startMs !== undefined) {
        log.info({ stage: r.stage, instance: r.instance, variant: r.variant, startMs, medianMs: startup.medianMs, samples: startup.count }, "replica start-up measured");
        showReplicaStart();
      }
      guard.liveReplicas.set(rollout.live);
    },
    onReplicaGone(stage, instance) {
      rollout.gone(stage, instance);
      guard.liveReplicas.set(rollout.live);
      log.info({ stage, instance }, "replica deregistered");
    },
  }, refusals, bounds);
  // Subscriptions must be live on the server before anyone relies on them (tests, fast predictors).
  await bus.flush();

  /** Bookkeeping once a version is in KV and broadcast. */
  function written(a: Assignment): void {
    acks.published(a.version, a.stages.reduce((s, st) => s + st.variants.reduce((n, v) => n + v.replicas, 0), 0));
    rollout.published(a.version, new Set(a.stages.map((s) => s.stage)), clock());
    metrics.version.set(a.version);
  }

  const kept = (span: Span, reason: string): DecisionOutcome => {
    metrics.decisions.inc({ policy: config.policy, status: "kept" });
    metrics.fallbacks.inc({ reason: reason.replace(/:kept$/, "") });
    span.setAttributes({ "fulcrum.status": "kept", "fulcrum.fallback_reason": reason, "fulcrum.version": store.version, "fulcrum.changes": 0 });
    return { kind: "kept", version: store.version, reason, changes: 0 };
  };

  const decide = (): Promise<DecisionOutcome> => {
    const links: Link[] = forecast?.span ? [{ context: forecast.span }] : [];
    return tracer.startActiveSpan("optimizer.decide", { kind: SpanKind.INTERNAL, links, attributes: { "fulcrum.pipeline": config.pipeline, "fulcrum.policy": config.policy } }, async (span): Promise<DecisionOutcome> => {
      try {
        const now = clock();
        const use = usableForecast(forecast?.value, now, config.forecastMaxAgeMs);
        if ("gap" in use) {
          log.info({ reason: use.gap, version: store.version }, "no usable forecast: keeping the last assignment");
          return kept(span, `${use.gap}:kept`);
        }
        const rate = decisionRate(forecastRps(use.forecast, config.forecastValue), loads, now, config.observedFloorWindowMs);
        const lambda = rate.rps;
        const ctx: DecisionContext = {
          pipeline: config.pipeline, stages: shape.stages, ...(shape.edges ? { edges: shape.edges } : {}), perf: shape.perf,
          sloMs: config.sloMs, limits: config.limits, ...(current ? { current: current.stages } : {}),
        };
        const input = buildPolicyInput(ctx, lambda, { samples: loads, nowMs: now, windowMs: config.loadWindowMs });
        span.setAttributes({
          "fulcrum.forecast_rps": lambda, "fulcrum.forecast_age_ms": now - use.forecast.createdAtMs, "fulcrum.forecast_model": use.forecast.model,
          "fulcrum.observed_peak_rps": rate.observedPeakRps, "fulcrum.floored": rate.floored,
        });
        metrics.forecastRps.set(lambda);
        metrics.observedPeakRps.set(rate.observedPeakRps);
        const t0 = performance.now();
        let decision;
        try {
          decision = await policy.decide(input, policyState, policyConfig(), now, { solver: solver ?? noSolver });
        } catch (err) {
          log.error({ err }, "policy failed: keeping the last assignment");
          span.recordException(err as Error);
          return kept(span, "policy-error:kept");
        }
        const solveMs = performance.now() - t0;
        metrics.solveSeconds.observe({ policy: config.policy }, solveMs / 1000);
        const ex = decision.explanation;
        const reason = ex.status === "fallback" ? `fallback:${ex.fallback?.reason ?? "unknown"}` : ex.status;
        // Whole ms: the wire form carries int64 ms, and a restarted optimizer reads it back from KV.
        const next: Assignment = { pipeline: config.pipeline, version: store.version + 1, policy: config.policy, createdAtMs: Math.round(now), stages: decision.stages };
        try {
          toDomainAssignment(toPbAssignment(next, reason));
        } catch (err) {
          log.error({ err, stages: decision.stages }, "policy returned an invalid assignment: keeping the last one");
          span.recordException(err as Error);
          return kept(span, "invalid-decision:kept");
        }
        const changes = diffAssignments(current?.stages, next.stages).length;
        if (current && changes === 0 && !foreign && (store.pending !== undefined || (await store.verify()) !== "changed")) {
          // The decision in force stands (and KV still holds it, or is unreachable and a write would
          // wait anyway): no new version. The policy's state still advances (hysteresis counters).
          policyState = decision.state;
          metrics.decisions.inc({ policy: config.policy, status: ex.status });
          metrics.admittedFraction.set(ex.admittedFraction ?? 1);
          span.setAttributes({ "fulcrum.status": ex.status, "fulcrum.method": ex.method, "fulcrum.solve_ms": solveMs, "fulcrum.changes": 0, "fulcrum.version": current.version, "fulcrum.unchanged": true });
          log.debug({ version: current.version, reason, lambdaRps: lambda, solveMs: Math.round(solveMs * 10) / 10 }, "decision unchanged: nothing published");
          return { kind: "unchanged", version: current.version, reason, assignment: current, explanation: ex, solveMs, changes: 0, forecastRps: lambda };
        }
        span.setAttributes({
          "fulcrum.status": ex.status, "fulcrum.method": ex.method, "fulcrum.solve_ms": solveMs, "fulcrum.changes": changes, "fulcrum.version": next.version,
          "fulcrum.cores": totalCores(next), "fulcrum.chosen": JSON.stringify(ex.chosen),
          ...(ex.objective !== undefined ? { "fulcrum.objective": ex.objective } : {}),
          ...Object.fromEntries(Object.entries(ex.terms).map(([k, v]) => [`fulcrum.term.${k}`, v])),
          ...(ex.solveMs !== undefined ? { "fulcrum.solver_ms": ex.solveMs } : {}),
          ...(ex.budgetMs !== undefined ? { "fulcrum.budget_ms": ex.budgetMs } : {}),
          ...(ex.endToEndBoundMs !== undefined ? { "fulcrum.e2e_bound_ms": ex.endToEndBoundMs } : {}),
          ...(ex.admittedFraction !== undefined ? { "fulcrum.admitted_fraction": ex.admittedFraction } : {}),
          ...(ex.fallback ? { "fulcrum.fallback_reason": ex.fallback.reason, "fulcrum.fallback_detail": ex.fallback.detail } : {}),
          ...(ex.notes ? { "fulcrum.notes": ex.notes.join("; ") } : {}),
        });
        const { version: _draft, ...draft } = next;
        const result = await store.publish(draft, reason);
        const out = result.assignment;
        policyState = decision.state;
        current = out;
        metrics.decisions.inc({ policy: config.policy, status: ex.status });
        if (ex.fallback) metrics.fallbacks.inc({ reason: ex.fallback.reason });
        recordAssignment(metrics, out);
        metrics.admittedFraction.set(ex.admittedFraction ?? 1);
        if (result.status === "written") {
          foreign = false;
          written(out);
        }
        span.setAttribute("fulcrum.version", out.version);
        const summary = { version: out.version, reason, lambdaRps: lambda, ...(rate.floored ? { flooredFromForecastRps: rate.forecastRps } : {}), solveMs: Math.round(solveMs * 10) / 10, changes, cores: totalCores(out) };
        if (result.status === "written") log.info(summary, "assignment published");
        else log.warn(summary, "assignment decided while NATS is away: it is written and published once NATS answers");
        return { kind: result.status === "written" ? "published" : "pending", version: out.version, reason, assignment: out, explanation: ex, solveMs, changes, forecastRps: lambda };
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
  };

  let chain: Promise<unknown> = Promise.resolve();
  let inFlight = false;
  const decideNow = (): Promise<DecisionOutcome> => {
    const run = chain.then(async () => {
      inFlight = true;
      try {
        return await decide();
      } finally {
        inFlight = false;
      }
    });
    chain = run.catch(() => {});
    return run;
  };
  const timer = setInterval(() => {
    // A decision that outlives its interval is not queued behind: the next tick decides on fresher inputs.
    if (inFlight || state !== "ready") return;
    decideNow().catch((err: unknown) => log.error({ err }, "decision failed"));
  }, config.intervalMs);
  // Rollouts and replicas: who has not acked the version in force, who vanished from the registry.
  const watchTimer = setInterval(() => {
    const check = rollout.tick(clock());
    for (const replica of check.vanished) {
      guard.vanishedReplicas.inc();
      log.warn({ replica, replicaStaleMs: config.replicaStaleMs }, "replica vanished: its registry heartbeat stopped without deregistering");
    }
    guard.liveReplicas.set(rollout.live);
    const o = check.overdue;
    if (!o) return;
    guard.missingAcks.inc(o.missing.length);
    if (o.gaveUp) {
      log.error({ version: o.version, missing: o.missing, retries: config.ackRetries }, `replicas never acked assignment v${o.version}: ${o.missing.join(", ")}`);
      return;
    }
    store.rebroadcast();
    guard.rebroadcasts.inc();
    log.warn({ version: o.version, missing: o.missing, attempt: o.attempt, ackTimeoutMs: config.ackTimeoutMs }, `replicas did not ack assignment v${o.version} in time: ${o.missing.join(", ")}; broadcasting it again`);
  }, Math.min(1000, config.ackTimeoutMs));

  let metricsServer: MetricsServerHandle;
  try {
    metricsServer = await startMetricsServer({ port: config.metricsPort, host: config.metricsHost, registry: metrics.registry, ready: () => state === "ready" });
  } catch (err) {
    // Nothing started here may outlive a failed start.
    clearInterval(timer);
    clearInterval(watchTimer);
    await store.close();
    for (const s of subs) await s.stop();
    await ownedSolver?.close();
    throw err;
  }
  state = "ready";
  log.info({ policy: config.policy, intervalMs: config.intervalMs, version: store.version, metricsPort: metricsServer.port }, "optimizer ready");

  let stopped: Promise<void> | undefined;
  return {
    config,
    get state() {
      return state;
    },
    get version() {
      return store.version;
    },
    get current() {
      return current;
    },
    get pending() {
      return store.pending;
    },
    refusals,
    metricsPort: metricsServer.port,
    metrics,
    acks: (v) => acks.of(v),
    decideNow,
    shutdown() {
      stopped ??= (async () => {
        state = "draining";
        clearInterval(timer);
        clearInterval(watchTimer);
        for (const s of subs) await s.stop();
        await chain;
        await store.close();
        await metricsServer.close();
        await ownedSolver?.close();
        state = "stopped";
      })();
      return stopped;
    },
  };
}

/** The Solver port for policies that do not use one; calling it is a programming error. */
const noSolver: Solver = {
  solve: () => Promise.reject(new Error("this policy declared usesSolver: false but called the solver")),
};
