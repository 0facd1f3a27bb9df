import type { Assignment } from "../assignment/index.js";
import { eligibleReplicas, leastOutstanding, type ReplicaInfo } from "./replica-choice.js";
import { pickWeighted, type WrrState } from "./weighted-round-robin.js";

/** Options of {@link Router}. */
export interface RouterOptions {
  /** A replica whose heartbeat is older than this is not routed to, ms. */
  readonly staleMs: number;
  /** How long a replica that answered UNAVAILABLE (or could not be reached) is skipped, ms. */
  readonly ejectMs: number;
}

/** Where one stage call goes. */
export interface Route {
  readonly replica: ReplicaInfo;
  /** Variant chosen by the assignment's split (undefined: no assignment, or none of its variants is live). */
  readonly wantedVariant: string | undefined;
  /** False when the replica serves another variant than the split asked for (fallback). */
  readonly matched: boolean;
}

/**
 * The gateway's routing table for its pipelines, pure (time is a parameter): the registry's
 * replicas, the Assignment in force per pipeline, smooth-WRR state per stage, outstanding calls per
 * replica and ejections. A stage call first picks a variant by the assignment's weights among the
 * variants that have a live replica, then the least-loaded live replica of that variant; with no
 * assignment (or none of its variants live) any live replica of the stage serves.
 */
export class Router {
  private readonly replicas = new Map<string, Map<string, ReplicaInfo>>();
  private readonly assignments = new Map<string, Assignment>();
  private readonly wrr = new Map<string, WrrState>();
  private readonly outstanding = new Map<string, number>();
  private readonly ejected = new Map<string, number>();
  private readonly ties = new Map<string, number>();
  private controlPlaneAway = false;

  constructor(private readonly options: RouterOptions) {}

  private static stageKey(pipeline: string, stage: string): string {
    return `${pipeline}\u0000${stage}`;
  }

  /** Adds or refreshes a replica (registry put). */
  upsertReplica(pipeline: string, replica: ReplicaInfo): void {
    const k = Router.stageKey(pipeline, replica.stage);
    let m = this.replicas.get(k);
    if (!m) this.replicas.set(k, (m = new Map()));
    m.set(replica.instance, replica);
  }

  /** Forgets a replica (registry delete). */
  removeReplica(pipeline: string, stage: string, instance: string): void {
    this.replicas.get(Router.stageKey(pipeline, stage))?.delete(instance);
    this.ejected.delete(instance);
    this.outstanding.delete(instance);
  }

  /** Replicas known for a stage, live or not. */
  replicasOf(pipeline: string, stage: string): ReplicaInfo[] {
    return [...(this.replicas.get(Router.stageKey(pipeline, stage))?.values() ?? [])];
  }

  /** Installs `a` if it is newer than the pipeline's current assignment; returns whether it was. */
  applyAssignment(a: Assignment): boolean {
    const cur = this.assignments.get(a.pipeline);
    if (cur && cur.version >= a.version) return false;
    this.assignments.set(a.pipeline, a);
    return true;
  }

  assignment(pipeline: string): Assignment | undefined {
    return this.assignments.get(pipeline);
  }

  /**
   * Whether the control plane is away: while it is, stale heartbeats do not disqualify a replica
   * (the data plane keeps serving on what it knows; failures and probes still eject).
   */
  setControlPlaneAway(away: boolean): void {
    this.controlPlaneAway = away;
  }

  /** Trusts an ejected replica again (a health probe answered). */
  readmit(instance: string): void {
    this.ejected.delete(instance);
  }

  /** Replicas of a stage that may take a call at `nowMs` (same rules as {@link route}). */
  liveReplicas(pipeline: string, stage: string, nowMs: number, exclude?: ReadonlySet<string>): ReplicaInfo[] {
    return eligibleReplicas(this.replicasOf(pipeline, stage), { nowMs, staleMs: this.options.staleMs, ejectedUntil: this.ejected, controlPlaneAway: this.controlPlaneAway, ...(exclude ? { exclude } : {}) });
  }

  /** Chooses the replica for one call of `stage`; undefined when no replica is live. */
  route(pipeline: string, stage: string, nowMs: number, exclude?: ReadonlySet<string>): Route | undefined {
    const live = this.liveReplicas(pipeline, stage, nowMs, exclude);
    if (live.length === 0) return undefined;
    const liveVariants = new Set(live.map((r) => r.variant));
    const split = this.assignments.get(pipeline)?.stages.find((s) => s.stage === stage)?.variants ?? [];
    const candidates = split.filter((v) => v.weight > 0 && liveVariants.has(v.variant)).map((v) => ({ key: v.variant, weight: v.weight }));
    const k = Router.stageKey(pipeline, stage);
    const pick = pickWeighted(candidates, this.wrr.get(k));
    if (pick.key !== undefined) this.wrr.set(k, pick.state);
    const pool = pick.key === undefined ? live : live.filter((r) => r.variant === pick.key);
    // One tie counter per (stage, variant) pool, so equal replicas of a variant alternate evenly.
    const tieKey = `${k}\u0000${pick.key ?? ""}`;
    const tie = this.ties.get(tieKey) ?? 0;
    this.ties.set(tieKey, tie + 1);
    const replica = leastOutstanding(pool, this.outstanding, tie)!;
    return { replica, wantedVariant: pick.key, matched: pick.key !== undefined };
  }

  /** Counts a call in flight on `instance`. */
  begin(instance: string): void {
    this.outstanding.set(instance, (this.outstanding.get(instance) ?? 0) + 1);
  }

  /** Ends a call counted by {@link begin}. */
  end(instance: string): void {
    const n = (this.outstanding.get(instance) ?? 0) - 1;
    if (n > 0) this.outstanding.set(instance, n);
    else this.outstanding.delete(instance);
  }

  /** Skips `instance` until `nowMs + ejectMs` (it answered UNAVAILABLE or could not be reached). */
  eject(instance: string, nowMs: number): void {
    this.ejected.set(instance, nowMs + this.options.ejectMs);
  }

  /** Calls in flight on `instance`. */
  outstandingOf(instance: string): number {
    return this.outstanding.get(instance) ?? 0;
  }
}
