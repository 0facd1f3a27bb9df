import type { Assignment } from "../assignment/index.js";
import { eligibleReplicas, type ReplicaInfo } from "./replica-choice.js";
import { compileStage, newStageTable, type Counter, type Entry, type StageTable } from "./stage-table.js";

/** Options of {@link Router}. */
export interface RouterOptions {
  /** A replica whose heartbeat is older than this is not routed to, ms. */
  readonly staleMs: number;
  /** How long a replica that answered UNAVAILABLE (or could not be reached) is skipped, ms. */
  readonly ejectMs: number;
}

/** Where one stage call goes. */
export interface Route<R extends ReplicaInfo = ReplicaInfo> {
  /** The replica object last given to {@link Router.upsertReplica} for that instance. */
  readonly replica: R;
  /** Variant chosen by the assignment's split (undefined: no assignment, or none of its variants is live). */
  readonly wantedVariant: string | undefined;
  /** False when the replica serves another variant than the split asked for (fallback). */
  readonly matched: boolean;
}

interface PipelineTable<R extends ReplicaInfo> {
  assignment: Assignment | undefined;
  /** Bumped by every installed assignment; a stage table compiled for another value is stale. */
  assignmentVersion: number;
  readonly stages: Map<string, StageTable<R>>;
}

/**
 * The gateway's routing table for its pipelines, pure (time is a parameter): the registry's
 * replicas, the Assignment in force per pipeline, smooth-WRR state per stage, outstanding calls per
 * replica and ejections. A stage call first picks a variant by the assignment's weights among the
 * variants that have a live replica, then the least-loaded live replica of that variant; with no
 * assignment (or none of its variants live) any live replica of the stage serves.
 *
 * {@link route} runs once per stage call (in the simulator, once per simulated stage visit), so it
 * allocates nothing: each stage keeps its ready replicas compiled into per-variant pools sorted by
 * instance (see `stage-table.ts`), recompiled only when a replica appears, leaves or changes state or
 * variant, or a new assignment arrives (version counters); what can change between two calls without
 * such an event (heartbeat age, ejections, the caller's exclusions, outstanding counts) is checked
 * per call on the compiled pools. `R` lets a caller get back its own replica objects.
 */
export class Router<R extends ReplicaInfo = ReplicaInfo> {
  private readonly pipelines = new Map<string, PipelineTable<R>>();
  /** Calls in flight per instance (shared by every stage the instance is registered under). */
  private readonly counters = new Map<string, Counter>();
  private readonly ejected = new Map<string, number>();
  private controlPlaneAway = false;

  constructor(private readonly options: RouterOptions) {}

  private pipeline(name: string): PipelineTable<R> {
    let p = this.pipelines.get(name);
    if (!p) this.pipelines.set(name, (p = { assignment: undefined, assignmentVersion: 0, stages: new Map() }));
    return p;
  }

  private counter(instance: string): Counter {
    let c = this.counters.get(instance);
    if (!c) this.counters.set(instance, (c = { outstanding: 0, registrations: 0 }));
    return c;
  }

  /** Drops a counter nothing refers to any more, so instance churn does not grow the map. */
  private release(instance: string, c: Counter): void {
    if (c.outstanding === 0 && c.registrations === 0) this.counters.delete(instance);
  }

  /** Adds or refreshes a replica (registry put). */
  upsertReplica(pipeline: string, replica: R): void {
    const p = this.pipeline(pipeline);
    let t = p.stages.get(replica.stage);
    if (!t) p.stages.set(replica.stage, (t = newStageTable()));
    const e = t.entries.get(replica.instance);
    if (!e) {
      const c = this.counter(replica.instance);
      c.registrations++;
      t.entries.set(replica.instance, entryOf(replica, c));
      t.version++;
      return;
    }
    // A heartbeat refresh (same state and variant) keeps the compiled pools: only the object changes.
    if (e.info.state !== replica.state || e.info.variant !== replica.variant) t.version++;
    setInfo(e, replica);
  }

  /** Forgets a replica (registry delete). */
  removeReplica(pipeline: string, stage: string, instance: string): void {
    const t = this.pipelines.get(pipeline)?.stages.get(stage);
    const e = t?.entries.get(instance);
    if (t && e) {
      t.entries.delete(instance);
      t.version++;
      e.counter.registrations--;
    }
    this.ejected.delete(instance);
    const c = this.counters.get(instance);
    if (c) {
      c.outstanding = 0;
      this.release(instance, c);
    }
  }

  /** Replicas known for a stage, live or not, in registration order. */
  replicasOf(pipeline: string, stage: string): R[] {
    const t = this.pipelines.get(pipeline)?.stages.get(stage);
    return t ? Array.from(t.entries.values(), (e) => e.info) : [];
  }

  /** Installs `a` if it is newer than the pipeline's current assignment; returns whether it was. */
  applyAssignment(a: Assignment): boolean {
    const p = this.pipeline(a.pipeline);
    if (p.assignment && p.assignment.version >= a.version) return false;
    p.assignment = a;
    p.assignmentVersion++;
    return true;
  }

  assignment(pipeline: string): Assignment | undefined {
    return this.pipelines.get(pipeline)?.assignment;
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
  liveReplicas(pipeline: string, stage: string, nowMs: number, exclude?: ReadonlySet<string>): R[] {
    return eligibleReplicas(this.replicasOf(pipeline, stage), { nowMs, staleMs: this.options.staleMs, ejectedUntil: this.ejected, controlPlaneAway: this.controlPlaneAway, ...(exclude ? { exclude } : {}) });
  }

  /** {@link eligibleReplicas}'s rules for one compiled (hence `ready`) replica. */
  private eligible(e: Entry<R>, nowMs: number, exclude: ReadonlySet<string> | undefined): boolean {
    const r = e.info;
    if (!this.controlPlaneAway && !(nowMs - r.heartbeatMs <= this.options.staleMs)) return false;
    if (exclude !== undefined && exclude.has(r.instance)) return false;
    return this.ejected.size === 0 || !((this.ejected.get(r.instance) ?? -Infinity) > nowMs);
  }

  private anyEligible(pool: readonly Entry<R>[], nowMs: number, exclude: ReadonlySet<string> | undefined): boolean {
    for (let i = 0; i < pool.length; i++) if (this.eligible(pool[i]!, nowMs, exclude)) return true;
    return false;
  }

  /**
   * Chooses the replica for one call of `stage`; undefined when no replica is live.
   *
   * The variant: smooth weighted round robin (as {@link pickWeighted}) over the assigned variants
   * with a positive, finite weight and a live replica, in the assignment's order (ties go to the
   * first); a variant not among them this call restarts from a score of 0. The replica: the fewest
   * outstanding calls among the live ones of the pool (as {@link leastOutstanding}), ties taken in
   * instance-name order, rotating with one counter per (stage, variant).
   */
  route(pipeline: string, stage: string, nowMs: number, exclude?: ReadonlySet<string>): Route<R> | undefined {
    const p = this.pipelines.get(pipeline);
    const t = p?.stages.get(stage);
    if (!p || !t || t.entries.size === 0) return undefined;
    if (t.compiledVersion !== t.version || t.compiledAssignment !== p.assignmentVersion) compileStage(t, stage, p.assignment, p.assignmentVersion);
    // The variant, by smooth WRR over the groups with a live replica.
    const epoch = ++t.epoch;
    const groups = t.groups;
    let best = -1;
    let bestScore = -Infinity;
    let total = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (!this.anyEligible(g.pool, nowMs, exclude)) continue;
      const score = g.cell.score + g.weight;
      g.cell.next = score;
      g.cell.epoch = epoch;
      total += g.weight;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    let pool: readonly Entry<R>[];
    let tie: { n: number };
    if (best >= 0) {
      const cells = t.cells;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        c.score = c.epoch === epoch ? c.next : 0;
      }
      const g = groups[best]!;
      g.cell.score = bestScore - total;
      pool = g.pool;
      tie = g.tie;
    } else {
      pool = t.ready;
      tie = t.fallbackTie;
    }
    // The replica: least outstanding among the live ones, the (tie mod #ties)-th of the equals.
    let min = Infinity;
    let ties = 0;
    let first = 0;
    for (let i = 0; i < pool.length; i++) {
      const e = pool[i]!;
      if (!this.eligible(e, nowMs, exclude)) continue;
      const n = e.counter.outstanding;
      if (n < min) {
        min = n;
        ties = 1;
        first = i;
      } else if (n === min) ties++;
    }
    if (ties === 0) return undefined;
    let k = tie.n++ % ties;
    if (k === 0) return best >= 0 ? pool[first]!.matched : pool[first]!.fallback;
    // The first pass counted `ties` such entries from `first` on; the k-th (0 < k < ties) lies beyond it.
    for (let i = first + 1; ; i++) {
      const e = pool[i]!;
      if (e.counter.outstanding === min && this.eligible(e, nowMs, exclude) && --k === 0) return best >= 0 ? e.matched : e.fallback;
    }
  }

  /** Counts a call in flight on `instance`. */
  begin(instance: string): void {
    this.counter(instance).outstanding++;
  }

  /** Ends a call counted by {@link begin}. */
  end(instance: string): void {
    const c = this.counters.get(instance);
    if (!c) return;
    c.outstanding = c.outstanding > 1 ? c.outstanding - 1 : 0;
    this.release(instance, c);
  }

  /** Skips `instance` until `nowMs + ejectMs` (it answered UNAVAILABLE or could not be reached). */
  eject(instance: string, nowMs: number): void {
    this.ejected.set(instance, nowMs + this.options.ejectMs);
  }

  /** Calls in flight on `instance`. */
  outstandingOf(instance: string): number {
    return this.counters.get(instance)?.outstanding ?? 0;
  }
}

function entryOf<R extends ReplicaInfo>(info: R, counter: Counter): Entry<R> {
  return { info, counter, matched: { replica: info, wantedVariant: info.variant, matched: true }, fallback: { replica: info, wantedVariant: undefined, matched: false } };
}

function setInfo<R extends ReplicaInfo>(e: Entry<R>, info: R): void {
  e.info = info;
  e.matched = { replica: info, wantedVariant: info.variant, matched: true };
  e.fallback = { replica: info, wantedVariant: undefined, matched: false };
}
