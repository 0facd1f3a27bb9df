/**
 * Bounds on what a control-plane message may claim. Validation says a message is well formed;
 * bounds say it is plausible: a decoded message that passes validation can still carry 10⁹
 * replicas or 10¹² rps, and one such message must not be able to drive a service. Every consumer
 * passes the bounds of its own configuration (see `controlLimitsShape` and
 * `assignmentLimitsShape` in the runtime's config); the wire limits below apply to everyone else.
 */
import { InvalidArgumentError } from "@fulcrum/core";

/** Bounds on an Assignment's resources. */
export interface AssignmentLimits {
  /** Largest `cores_per_replica` of any allocation. */
  readonly maxCoresPerReplica: number;
  /** Largest `batch` of any allocation. */
  readonly maxBatch: number;
  /** Largest replica count: of any allocation, and Σ replicas over the whole Assignment. */
  readonly maxReplicas: number;
  /** Largest Σ cores_per_replica × replicas over the whole Assignment. */
  readonly maxTotalCores: number;
}

/**
 * The protocol's own sanity limits, for consumers without a configured budget (and what every
 * `toDomainAssignment` applies by default): far above any real deployment, low enough that no
 * consumer can be made to allocate per replica or per core without end.
 */
export const WIRE_ASSIGNMENT_LIMITS: AssignmentLimits = Object.freeze({ maxCoresPerReplica: 1024, maxBatch: 65_536, maxReplicas: 10_000, maxTotalCores: 100_000 });

/** Bounds on rates and timestamps, with the consumer's clock. */
export interface MessageBounds {
  /** Largest rate a message may report or imply, requests per second. */
  readonly maxRps: number;
  /** Largest time a message's timestamp may be ahead of the consumer's clock, ms. */
  readonly maxClockSkewMs: number;
  /** The consumer's clock now, Unix ms. */
  readonly nowMs: number;
}

/** Throws naming `field` when `rps` is above the bound. */
export function checkRate(field: string, rps: number, b: MessageBounds | undefined): void {
  if (b && rps > b.maxRps) throw new InvalidArgumentError(field, `${rps} rps is above the limit of ${b.maxRps} rps (maxRps)`);
}

/** Throws naming `field` when `unixMs` is further in the future than the clock skew allows. */
export function checkNotFuture(field: string, unixMs: number, b: Pick<MessageBounds, "maxClockSkewMs" | "nowMs"> | undefined): void {
  if (b && unixMs > b.nowMs + b.maxClockSkewMs) {
    throw new InvalidArgumentError(field, `${unixMs} is ${Math.round(unixMs - b.nowMs)} ms ahead of this clock, more than the allowed skew of ${b.maxClockSkewMs} ms (maxClockSkewMs)`);
  }
}

/** Throws naming `field` when a count over a window implies a rate above the bound (a count with no window is refused too). */
export function checkWindowRate(field: string, count: number, windowMs: number, b: MessageBounds | undefined): void {
  if (!b || count === 0) return;
  if (!(windowMs > 0)) throw new InvalidArgumentError("window_ms", `must be > 0 when ${field} is ${count}, got ${windowMs}`);
  const rps = (count * 1000) / windowMs;
  if (rps > b.maxRps) throw new InvalidArgumentError(field, `${count} in ${windowMs} ms is ${rps} rps, above the limit of ${b.maxRps} rps (maxRps)`);
}

/** Throws naming the field of the first allocation (or the total) beyond `limits`. */
export function checkAssignmentLimits(
  stages: ReadonlyArray<{ readonly variants: ReadonlyArray<{ readonly batch: number; readonly coresPerReplica: number; readonly replicas: number }> }>,
  limits: AssignmentLimits,
): void {
  let replicas = 0;
  let cores = 0;
  stages.forEach((s, i) =>
    s.variants.forEach((v, j) => {
      const at = `stages[${i}].variants[${j}]`;
      if (v.coresPerReplica > limits.maxCoresPerReplica) throw new InvalidArgumentError(`${at}.cores_per_replica`, `${v.coresPerReplica} is above the limit of ${limits.maxCoresPerReplica} (maxCoresPerReplica)`);
      if (v.batch > limits.maxBatch) throw new InvalidArgumentError(`${at}.batch`, `${v.batch} is above the limit of ${limits.maxBatch} (maxBatch)`);
      if (v.replicas > limits.maxReplicas) throw new InvalidArgumentError(`${at}.replicas`, `${v.replicas} is above the limit of ${limits.maxReplicas} (maxReplicas)`);
      replicas += v.replicas;
      cores += v.replicas * v.coresPerReplica;
    }),
  );
  if (replicas > limits.maxReplicas) throw new InvalidArgumentError("stages", `${replicas} replicas in all, above the limit of ${limits.maxReplicas} (maxReplicas)`);
  if (cores > limits.maxTotalCores) throw new InvalidArgumentError("stages", `${cores} cores in all, above the limit of ${limits.maxTotalCores} (maxTotalCores)`);
}
