import type { RegistryRecord } from "../control/index.js";

/** A stage replica as routing needs it: the registry entry's identity, address, variant, state and heartbeat. */
export type ReplicaInfo = Pick<RegistryRecord, "instance" | "stage" | "address" | "variant" | "state" | "heartbeatMs">;

/** What {@link eligibleReplicas} filters on. */
export interface EligibilityRules {
  readonly nowMs: number;
  /** A replica whose last heartbeat is older than this is presumed dead, ms. */
  readonly staleMs: number;
  /** Instances already tried by this request. */
  readonly exclude?: ReadonlySet<string>;
  /** Instances ejected after a failure, with the Unix ms they are trusted again. */
  readonly ejectedUntil?: ReadonlyMap<string, number>;
  /**
   * The control plane is away (NATS down): heartbeats cannot arrive, so a stale one says nothing
   * about the replica. Liveness then rests on the data plane alone (failed calls and health probes
   * eject a replica). @default false
   */
  readonly controlPlaneAway?: boolean;
}

/** Replicas that may take a call now: `ready`, fresh heartbeat (unless the control plane is away), not tried, not ejected. */
export function eligibleReplicas<R extends ReplicaInfo>(replicas: readonly R[], rules: EligibilityRules): R[] {
  return replicas.filter(
    (r) =>
      r.state === "ready" &&
      (rules.controlPlaneAway === true || rules.nowMs - r.heartbeatMs <= rules.staleMs) &&
      !rules.exclude?.has(r.instance) &&
      !((rules.ejectedUntil?.get(r.instance) ?? -Infinity) > rules.nowMs),
  );
}

/**
 * The replica with the fewest outstanding calls among `candidates` (least-outstanding-requests
 * balancing, as Envoy's LEAST_REQUEST). Ties rotate with `tieBreak` (a counter the caller bumps)
 * so equal replicas share the traffic. Undefined when `candidates` is empty.
 */
export function leastOutstanding(candidates: readonly ReplicaInfo[], outstanding: ReadonlyMap<string, number>, tieBreak: number): ReplicaInfo | undefined {
  if (candidates.length === 0) return undefined;
  let min = Infinity;
  for (const c of candidates) min = Math.min(min, outstanding.get(c.instance) ?? 0);
  const ties = candidates.filter((c) => (outstanding.get(c.instance) ?? 0) === min).sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  return ties[Math.abs(Math.trunc(tieBreak)) % ties.length];
}
