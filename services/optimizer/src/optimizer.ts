import { performance } from "node:perf_hooks";
import { SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext } from "@opentelemetry/api";
import { totalCores, type Assignment } from "@fulcrum/core";
import { AckTracker, budgetsFromLoad, buildPolicyInput, diffAssignments, forecastRps, usableForecast, type DecisionContext, type LoadForecast, type LoadSample, type VersionAcks } from "@fulcrum/core/control";
import { POLICIES, type Explanation, type PolicyDefinition, type PolicyState, type Solver } from "@fulcrum/core/policies";
import {
  startMetricsServer,
  toDomainAssignment,
  toPbAssignment,
  unixClockMs,
  type Bus,
  type LifecycleState,
  type Logger,
  type MetricsServerHandle,
  type Stoppable,
  type TypedKv,
} from "@fulcrum/runtime";
import { createHighsSolver, type HighsSolver } from "@fulcrum/solver";
import { toPolicyShape, type OptimizerConfig } from "./config.js";
import { createOptimizerMetrics, recordAssignment, type OptimizerMetrics } from "./telemetry/metrics.js";
import { openAssignmentsKv, publishAssignment, readStoredAssignment, startNatsHandlers } from "./transport/nats-handlers.js";

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
 * The outcome of one decision. `published`: a new version went out. `kept`: nothing was published
 * and the last assignment stays in force; `reason` says why (`no-forecast:kept`,
 * `stale-forecast:kept`, `policy-error:kept`, `invalid-decision:kept`).
 */
export interface DecisionOutcome {
  readonly kind: "published" | "kept";
  /** Version in force after the decision (0: none yet). */
  readonly version: number;
  /** The Assignment's `reason` (`optimal`, `held`, `fallback:<reason>`) or why it was kept. */
  readonly reason: string;
  readonly assignment?: Assignment;
  readonly explanation?: Explanation;
  /** Wall time of the policy decision, ms. */
  readonly solveMs?: number;
  /** (stage, variant) allocations that differ from the previous assignment. */
  readonly changes: number;
  /** λ̂ decided for, rps. */
  readonly forecastRps?: number;
}

/** A running optimizer. */
export interface OptimizerHandle {
  readonly config: OptimizerConfig;
  readonly state: OptimizerState;
  /** Version of the assignment in force (0 before any). */
  readonly version: number;
  /** The assignment in force (published here or read from KV at start). */
  readonly current: Assignment | undefined;
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
 * forecasts, load samples and acks, and every `intervalMs` runs the configured policy and publishes
 * Assignment version+1 (subject and KV). With no fresh forecast it keeps the last assignment and
 * publishes nothing. Each decision is one `optimizer.decide` span; metrics on `/metrics`.
 */
export async function startOptimizer(config: OptimizerConfig, deps: OptimizerDeps): Promise<OptimizerHandle> {
  const { bus, logger: log } = deps;
  const clock = deps.clock ?? unixClockMs;
  const policy: PolicyDefinition = POLICIES[config.policy];
  let ownedSolver: HighsSolver | undefined;
  const solver = deps.solver ?? (policy.usesSolver ? (ownedSolver = createHighsSolver()) : undefined);
  const metrics = createOptimizerMetrics(config.pipeline);
  const acks = new AckTracker(config.ackHistory);
  const shape = toPolicyShape(config.spec);
  let state: OptimizerState = "starting";

  let kv: TypedKv | undefined;
  try {
    kv = await openAssignmentsKv(bus);
  } catch (err) {
    log.warn({ err }, "assignments KV unavailable: versions start at 1 and assignments are only broadcast");
  }
  let current: Assignment | undefined;
  let version = 0;
  const stored = kv ? await readStoredAssignment(kv, config.pipeline).catch((err: unknown) => void log.warn({ err }, "could not read the stored assignment")) : undefined;
  if (stored) {
    version = stored.version;
    try {
      current = toDomainAssignment(stored);
    } catch (err) {
      log.warn({ err, version }, "stored assignment is invalid: continuing its version without it");
    }
    log.info({ version }, "continuing from the stored assignment");
  }
  metrics.version.set(version);
  if (current) recordAssignment(metrics, current);

  let forecast: { value: LoadForecast; span?: SpanContext } | undefined;
  const loads: LoadSample[] = [];
  let policyState: PolicyState | undefined;

  const subs: Stoppable[] = startNatsHandlers(bus, config.pipeline, {
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
      metrics.acks.inc({ outcome: !known ? "untracked" : a.applied ? "applied" : "failed" });
      if (known && a.applied) metrics.ackApplySeconds.observe(a.applyMs / 1000);
      if (!a.applied) log.warn({ version: a.version, stage: a.stage, instance: a.instance, error: a.error }, "assignment not applied by an instance");
    },
  }, log);
  // Subscriptions must be live on the server before anyone relies on them (tests, fast predictors).
  await bus.flush();

  const kept = (span: Span, reason: string): DecisionOutcome => {
    metrics.decisions.inc({ policy: config.policy, status: "kept" });
    metrics.fallbacks.inc({ reason: reason.replace(/:kept$/, "") });
    span.setAttributes({ "fulcrum.status": "kept", "fulcrum.fallback_reason": reason, "fulcrum.version": version, "fulcrum.changes": 0 });
    return { kind: "kept", version, reason, changes: 0 };
  };

  const decide = (): Promise<DecisionOutcome> => {
    const links: Link[] = forecast?.span ? [{ context: forecast.span }] : [];
    return tracer.startActiveSpan("optimizer.decide", { kind: SpanKind.INTERNAL, links, attributes: { "fulcrum.pipeline": config.pipeline, "fulcrum.policy": config.policy } }, async (span): Promise<DecisionOutcome> => {
      try {
        const now = clock();
        const use = usableForecast(forecast?.value, now, config.forecastMaxAgeMs);
        if ("gap" in use) {
          log.info({ reason: use.gap, version }, "no usable forecast: keeping the last assignment");
          return kept(span, `${use.gap}:kept`);
        }
        const lambda = forecastRps(use.forecast, config.forecastValue);
        const ctx: DecisionContext = {
          pipeline: config.pipeline, stages: shape.stages, ...(shape.edges ? { edges: shape.edges } : {}), perf: shape.perf,
          sloMs: config.sloMs, limits: config.limits, ...(current ? { current: current.stages } : {}),
        };
        const input = buildPolicyInput(ctx, lambda, budgetsFromLoad(loads, now, config.loadWindowMs));
        span.setAttributes({ "fulcrum.forecast_rps": lambda, "fulcrum.forecast_age_ms": now - use.forecast.createdAtMs, "fulcrum.forecast_model": use.forecast.model });
        metrics.forecastRps.set(lambda);
        const t0 = performance.now();
        let decision;
        try {
          decision = await policy.decide(input, policyState, config.policyConfig, now, { solver: solver ?? noSolver });
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
        const next: Assignment = { pipeline: config.pipeline, version: version + 1, policy: config.policy, createdAtMs: Math.round(now), stages: decision.stages };
        try {
          toDomainAssignment(toPbAssignment(next, reason));
        } catch (err) {
          log.error({ err, stages: decision.stages }, "policy returned an invalid assignment: keeping the last one");
          span.recordException(err as Error);
          return kept(span, "invalid-decision:kept");
        }
        const changes = diffAssignments(current?.stages, next.stages).length;
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
        await publishAssignment(bus, kv, next, reason, log);
        policyState = decision.state;
        current = next;
        version = next.version;
        acks.published(version, next.stages.reduce((s, st) => s + st.variants.reduce((a, v) => a + v.replicas, 0), 0));
        metrics.decisions.inc({ policy: config.policy, status: ex.status });
        if (ex.fallback) metrics.fallbacks.inc({ reason: ex.fallback.reason });
        metrics.version.set(version);
        recordAssignment(metrics, next);
        metrics.admittedFraction.set(ex.admittedFraction ?? 1);
        log.info({ version, reason, lambdaRps: lambda, solveMs: Math.round(solveMs * 10) / 10, changes, cores: totalCores(next) }, "assignment published");
        return { kind: "published", version, reason, assignment: next, explanation: ex, solveMs, changes, forecastRps: lambda };
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

  let metricsServer: MetricsServerHandle;
  try {
    metricsServer = await startMetricsServer({ port: config.metricsPort, host: config.metricsHost, registry: metrics.registry, ready: () => state === "ready" });
  } catch (err) {
    // Nothing started here may outlive a failed start.
    clearInterval(timer);
    for (const s of subs) await s.stop();
    await ownedSolver?.close();
    throw err;
  }
  state = "ready";
  log.info({ policy: config.policy, intervalMs: config.intervalMs, version, metricsPort: metricsServer.port }, "optimizer ready");

  let stopped: Promise<void> | undefined;
  return {
    config,
    get state() {
      return state;
    },
    get version() {
      return version;
    },
    get current() {
      return current;
    },
    metricsPort: metricsServer.port,
    metrics,
    acks: (v) => acks.of(v),
    decideNow,
    shutdown() {
      stopped ??= (async () => {
        state = "draining";
        clearInterval(timer);
        for (const s of subs) await s.stop();
        await chain;
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
