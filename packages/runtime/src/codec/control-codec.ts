/**
 * Control-plane messages (`fulcrum.v1`) ↔ their domain forms in `@fulcrum/core/control`: the one
 * place each message is converted, shared by every service that sends or receives it. Decoding
 * validates: every `toDomain*` throws `InvalidArgumentError` naming the bad field, so one malformed
 * message is refused (and logged by the caller) instead of reaching a service's state. Given the
 * consumer's {@link MessageBounds}, it also refuses rates above `maxRps` and timestamps from the
 * future (beyond the allowed clock skew): a forged 10¹² rps sample or a forecast dated next year.
 */
import { InvalidArgumentError } from "@fulcrum/core";
import { REPLICA_STATES, type AssignmentAckRecord, type LoadForecast, type LoadSample, type RegistryRecord, type ReplicaPlacement, type ReplicaState, type StageSample } from "@fulcrum/core/control";
import type { GatewayWindow } from "@fulcrum/core/metrics";
import { subjectToken, type control } from "@fulcrum/proto";
import { checkNotFuture, checkRate, checkWindowRate, WIRE_ASSIGNMENT_LIMITS, type AssignmentLimits, type MessageBounds } from "./limits.js";

/** Longest free text (an ack's error) a consumer keeps, characters. */
const MAX_TEXT_LENGTH = 4096;

/** A name that becomes a NATS subject token (letters, digits, `_`, `-`); throws naming the field. */
const token = subjectToken;

function finite(field: string, v: number, min = 0): number {
  if (!Number.isFinite(v) || v < min) throw new InvalidArgumentError(field, `must be a finite number ≥ ${min}, got ${v}`);
  return v;
}

function fraction(field: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError(field, `must be in [0, 1], got ${v}`);
  return v;
}

/** StageMetrics → domain; with `bounds`, arrivals and completions within `maxRps` and no window from the future. */
export function toDomainStageSample(m: control.StageMetrics, bounds?: MessageBounds): StageSample {
  checkNotFuture("window_start_unix_ms", m.windowStartUnixMs, bounds);
  checkWindowRate("arrivals", m.arrivals, m.windowMs, bounds);
  checkWindowRate("completions", m.completions, m.windowMs, bounds);
  return {
    pipeline: token("pipeline", m.pipeline),
    stage: token("stage", m.stage),
    instance: token("instance", m.instance),
    windowStartMs: finite("window_start_unix_ms", m.windowStartUnixMs, 1),
    windowMs: finite("window_ms", m.windowMs),
    arrivals: finite("arrivals", m.arrivals),
    completions: finite("completions", m.completions),
    queueLength: finite("queue_length", m.queueLength),
    latencyP50Ms: finite("latency_p50_ms", m.latencyP50Ms),
    latencyP95Ms: finite("latency_p95_ms", m.latencyP95Ms),
    latencyP99Ms: finite("latency_p99_ms", m.latencyP99Ms),
    violations: finite("violations", m.violations),
    earlyDrops: finite("early_drops", m.earlyDrops),
    rejected: finite("rejected", m.rejected),
    failures: finite("failures", m.failures),
    meanBatch: finite("mean_batch", m.meanBatch),
    variant: m.variant,
    cores: finite("cores", m.cores),
    batchSize: finite("batch_size", m.batchSize),
    cpuSeconds: finite("cpu_seconds", m.cpuSeconds),
    assignmentVersion: finite("assignment_version", m.assignmentVersion),
  };
}

/** Domain → StageMetrics. */
export function toPbStageMetrics(s: StageSample): control.StageMetrics {
  return {
    pipeline: s.pipeline,
    stage: s.stage,
    instance: s.instance,
    windowStartUnixMs: Math.round(s.windowStartMs),
    windowMs: Math.round(s.windowMs),
    arrivals: s.arrivals,
    completions: s.completions,
    queueLength: s.queueLength,
    latencyP50Ms: s.latencyP50Ms,
    latencyP95Ms: s.latencyP95Ms,
    latencyP99Ms: s.latencyP99Ms,
    violations: s.violations,
    earlyDrops: s.earlyDrops,
    rejected: s.rejected,
    failures: s.failures,
    meanBatch: s.meanBatch,
    variant: s.variant,
    cores: s.cores,
    batchSize: s.batchSize,
    cpuSeconds: s.cpuSeconds,
    assignmentVersion: s.assignmentVersion,
  };
}

/** GatewayMetrics → domain; with `bounds`, arrivals within `maxRps` and no window from the future. */
export function toDomainGatewayWindow(m: control.GatewayMetrics, bounds?: MessageBounds): GatewayWindow {
  checkNotFuture("window_start_unix_ms", m.windowStartUnixMs, bounds);
  checkWindowRate("arrivals", m.arrivals, m.windowMs, bounds);
  return {
    pipeline: token("pipeline", m.pipeline),
    windowStartMs: finite("window_start_unix_ms", m.windowStartUnixMs, 1),
    windowMs: finite("window_ms", m.windowMs),
    arrivals: finite("arrivals", m.arrivals),
    answeredInTime: finite("answered_in_time", m.answeredInTime),
    late: finite("late", m.late),
    rejected: finite("rejected", m.rejected),
    failed: finite("failed", m.failed),
    latencyP50Ms: finite("latency_p50_ms", m.latencyP50Ms),
    latencyP95Ms: finite("latency_p95_ms", m.latencyP95Ms),
    latencyP99Ms: finite("latency_p99_ms", m.latencyP99Ms),
    budgetP10Ms: finite("budget_p10_ms", m.budgetP10Ms),
    budgetP50Ms: finite("budget_p50_ms", m.budgetP50Ms),
    meanAccuracy: fraction("mean_accuracy", m.meanAccuracy),
  };
}

/** Domain → GatewayMetrics. */
export function toPbGatewayMetrics(w: GatewayWindow): control.GatewayMetrics {
  return {
    pipeline: w.pipeline,
    windowStartUnixMs: Math.round(w.windowStartMs),
    windowMs: Math.round(w.windowMs),
    arrivals: w.arrivals,
    answeredInTime: w.answeredInTime,
    late: w.late,
    rejected: w.rejected,
    failed: w.failed,
    latencyP50Ms: w.latencyP50Ms,
    latencyP95Ms: w.latencyP95Ms,
    latencyP99Ms: w.latencyP99Ms,
    budgetP10Ms: w.budgetP10Ms,
    budgetP50Ms: w.budgetP50Ms,
    meanAccuracy: w.meanAccuracy,
  };
}

/**
 * LoadSample → domain. Budget quantiles of 0 mean "unknown" and become absent. With `bounds`, the
 * rate is within `maxRps` and the sample is not from the future.
 */
export function toDomainLoadSample(pb: control.LoadSample, bounds?: MessageBounds): LoadSample {
  const p10 = finite("budget_p10_ms", pb.budgetP10Ms);
  const p50 = finite("budget_p50_ms", pb.budgetP50Ms);
  checkRate("arrivals_rps", finite("arrivals_rps", pb.arrivalsRps), bounds);
  checkNotFuture("timestamp_unix_ms", pb.timestampUnixMs, bounds);
  return {
    pipeline: token("pipeline", pb.pipeline),
    timestampMs: finite("timestamp_unix_ms", pb.timestampUnixMs, 1),
    arrivalsRps: finite("arrivals_rps", pb.arrivalsRps),
    windowMs: finite("window_ms", pb.windowMs),
    ...(p10 > 0 ? { budgetP10Ms: p10 } : {}),
    ...(p50 > 0 ? { budgetP50Ms: p50 } : {}),
  };
}

/** Domain → LoadSample (absent budgets are sent as 0). */
export function toPbLoadSample(s: LoadSample): control.LoadSample {
  return {
    pipeline: s.pipeline,
    timestampUnixMs: Math.round(s.timestampMs),
    arrivalsRps: s.arrivalsRps,
    windowMs: Math.round(s.windowMs),
    budgetP10Ms: s.budgetP10Ms ?? 0,
    budgetP50Ms: s.budgetP50Ms ?? 0,
  };
}

/**
 * Forecast → domain. `upper_rps` 0 means "no upper bound"; a non-zero one below the peak is refused.
 * With `bounds`, both rates are within `maxRps` and the forecast is not dated in the future (a
 * future one would look fresh, and newest, for ever).
 */
export function toDomainForecast(pb: control.Forecast, bounds?: MessageBounds): LoadForecast {
  const peakRps = finite("peak_rps", pb.peakRps);
  const upper = finite("upper_rps", pb.upperRps);
  checkRate("peak_rps", peakRps, bounds);
  checkRate("upper_rps", upper, bounds);
  checkNotFuture("created_unix_ms", pb.createdUnixMs, bounds);
  if (upper > 0 && upper < peakRps) throw new InvalidArgumentError("upper_rps", `${upper} is below peak_rps ${peakRps}`);
  const coverage = fraction("coverage", pb.coverage);
  return {
    pipeline: token("pipeline", pb.pipeline),
    createdAtMs: finite("created_unix_ms", pb.createdUnixMs, 1),
    horizonS: finite("horizon_s", pb.horizonS),
    peakRps,
    ...(upper > 0 ? { upperRps: upper } : {}),
    ...(coverage > 0 ? { coverage } : {}),
    model: pb.model,
    historySamples: finite("history_samples", pb.historySamples),
  };
}

/** Domain → Forecast. */
export function toPbForecast(f: LoadForecast): control.Forecast {
  return {
    pipeline: f.pipeline,
    createdUnixMs: Math.round(f.createdAtMs),
    horizonS: f.horizonS,
    peakRps: f.peakRps,
    upperRps: f.upperRps ?? 0,
    coverage: f.coverage ?? 0,
    model: f.model,
    historySamples: f.historySamples ?? 0,
  };
}

/** AssignmentAck → domain. */
export function toDomainAck(pb: control.AssignmentAck): AssignmentAckRecord {
  if (!(pb.version >= 1)) throw new InvalidArgumentError("version", `must be ≥ 1, got ${pb.version}`);
  // An operator reads it in a log line; a megabyte of it is an attack, not an explanation.
  if (pb.error.length > MAX_TEXT_LENGTH) throw new InvalidArgumentError("error", `is ${pb.error.length} characters long, more than ${MAX_TEXT_LENGTH}`);
  return {
    pipeline: token("pipeline", pb.pipeline),
    stage: token("stage", pb.stage),
    instance: token("instance", pb.instance),
    version: pb.version,
    applied: pb.applied,
    applyMs: finite("apply_ms", pb.applyMs),
    appliedAtMs: pb.appliedUnixMs,
    ...(!pb.applied && pb.error ? { error: pb.error } : {}),
  };
}

/** Domain → AssignmentAck. */
export function toPbAck(a: AssignmentAckRecord): control.AssignmentAck {
  return {
    pipeline: a.pipeline,
    stage: a.stage,
    instance: a.instance,
    version: a.version,
    applied: a.applied,
    applyMs: a.applyMs,
    appliedUnixMs: Math.round(a.appliedAtMs),
    error: a.error ?? "",
  };
}

/** RegistryEntry → domain; with `bounds`, the heartbeat is not from the future (it would look fresh for ever). */
export function toDomainRegistryRecord(e: control.RegistryEntry, bounds?: Pick<MessageBounds, "maxClockSkewMs" | "nowMs">): RegistryRecord {
  checkNotFuture("heartbeat_unix_ms", e.heartbeatUnixMs, bounds);
  if (!REPLICA_STATES.includes(e.state as ReplicaState)) throw new InvalidArgumentError("state", `must be one of ${REPLICA_STATES.join(", ")}, got ${JSON.stringify(e.state)}`);
  if (!/^[^\s:]+:\d{1,5}$/.test(e.address)) throw new InvalidArgumentError("address", `must be host:port, got ${JSON.stringify(e.address)}`);
  const readyMs = finite("ready_unix_ms", e.readyUnixMs);
  // started ≤ ready ≤ heartbeat: a replica turns ready before it heartbeats as ready. A ready time
  // outside that span would price every new replica at a start-up no process took.
  if (readyMs > 0 && readyMs < e.startedUnixMs) throw new InvalidArgumentError("ready_unix_ms", `${readyMs} is before started_unix_ms ${e.startedUnixMs}`);
  if (readyMs > e.heartbeatUnixMs) throw new InvalidArgumentError("ready_unix_ms", `${readyMs} is after heartbeat_unix_ms ${e.heartbeatUnixMs}`);
  return {
    pipeline: token("pipeline", e.pipeline),
    stage: token("stage", e.stage),
    instance: token("instance", e.instance),
    address: e.address,
    variant: e.variant,
    cores: finite("cores", e.cores),
    batch: finite("batch", e.batch),
    assignmentVersion: finite("assignment_version", e.assignmentVersion),
    heartbeatMs: finite("heartbeat_unix_ms", e.heartbeatUnixMs, 1),
    startedMs: finite("started_unix_ms", e.startedUnixMs),
    ...(readyMs > 0 ? { readyMs } : {}),
    state: e.state as ReplicaState,
    variants: [...e.variants],
  };
}

/** Domain → RegistryEntry. */
export function toPbRegistryEntry(r: RegistryRecord): control.RegistryEntry {
  return {
    pipeline: r.pipeline,
    stage: r.stage,
    instance: r.instance,
    address: r.address,
    variant: r.variant,
    cores: r.cores,
    batch: r.batch,
    assignmentVersion: r.assignmentVersion,
    heartbeatUnixMs: Math.round(r.heartbeatMs),
    startedUnixMs: Math.round(r.startedMs),
    readyUnixMs: r.readyMs !== undefined ? Math.round(r.readyMs) : 0,
    state: r.state,
    variants: [...r.variants],
  };
}

/** ReplicaPlacement → domain; cores and batch within `limits` (the replica's own, by default the wire limits). */
export function toDomainPlacement(pb: control.ReplicaPlacement, limits: Pick<AssignmentLimits, "maxCoresPerReplica" | "maxBatch"> = WIRE_ASSIGNMENT_LIMITS): ReplicaPlacement {
  if (!pb.variant) throw new InvalidArgumentError("variant", "is empty");
  if (!(pb.cores >= 1)) throw new InvalidArgumentError("cores", `must be ≥ 1, got ${pb.cores}`);
  if (pb.cores > limits.maxCoresPerReplica) throw new InvalidArgumentError("cores", `${pb.cores} is above the limit of ${limits.maxCoresPerReplica} (maxCoresPerReplica)`);
  if (!(pb.batch >= 1)) throw new InvalidArgumentError("batch", `must be ≥ 1, got ${pb.batch}`);
  if (pb.batch > limits.maxBatch) throw new InvalidArgumentError("batch", `${pb.batch} is above the limit of ${limits.maxBatch} (maxBatch)`);
  if (!(pb.generation >= 1)) throw new InvalidArgumentError("generation", `must be ≥ 1, got ${pb.generation}`);
  return {
    pipeline: token("pipeline", pb.pipeline),
    stage: token("stage", pb.stage),
    instance: token("instance", pb.instance),
    target: { variant: pb.variant, cores: pb.cores, batchSize: pb.batch },
    assignmentVersion: finite("assignment_version", pb.assignmentVersion),
    generation: pb.generation,
  };
}

/** Domain → ReplicaPlacement. */
export function toPbPlacement(p: ReplicaPlacement): control.ReplicaPlacement {
  return {
    pipeline: p.pipeline,
    stage: p.stage,
    instance: p.instance,
    variant: p.target.variant,
    cores: p.target.cores,
    batch: p.target.batchSize,
    assignmentVersion: p.assignmentVersion,
    generation: p.generation,
  };
}
