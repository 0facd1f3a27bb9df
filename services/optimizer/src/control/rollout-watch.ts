import type { RegistryRecord } from "@fulcrum/core/control";

/** Options of {@link RolloutWatch}. */
export interface RolloutWatchOptions {
  /** A version not acked by every expected replica this long after it went out is re-sent, ms. */
  readonly ackTimeoutMs: number;
  /** Re-sends per version before the watch gives up on the replicas still silent. */
  readonly ackRetries: number;
  /** A replica whose registry heartbeat is older than this has vanished, ms. */
  readonly replicaStaleMs: number;
}

/** What a {@link RolloutWatch.tick} found. */
export interface RolloutCheck {
  /** Replicas whose heartbeat stopped since the last tick (`stage/instance`). */
  readonly vanished: readonly string[];
  /** Set when the rollout's ack deadline passed with replicas still silent. */
  readonly overdue?: {
    readonly version: number;
    /** Replicas that did not ack (`stage/instance`). */
    readonly missing: readonly string[];
    /** Which re-send this is (1 = first); beyond `ackRetries`, `gaveUp` is set instead of re-sending. */
    readonly attempt: number;
    readonly gaveUp: boolean;
  };
}

interface Replica {
  readonly stage: string;
  readonly instance: string;
  heartbeatMs: number;
  state: RegistryRecord["state"];
  assignmentVersion: number;
}

/**
 * The optimizer's view of a rollout: which live replicas should ack the version in force, which
 * did, and which replicas vanished from the registry (heartbeat stopped without deregistering).
 * No I/O and no clock: time is passed in.
 */
export class RolloutWatch {
  private readonly replicas = new Map<string, Replica>();
  private rollout: { version: number; expected: Set<string>; acked: Set<string>; deadlineMs: number; attempts: number; done: boolean } | undefined;

  constructor(private readonly o: RolloutWatchOptions) {}

  /** A registry entry (put or heartbeat) of the pipeline. */
  seen(r: RegistryRecord): void {
    const key = `${r.stage}/${r.instance}`;
    const cur = this.replicas.get(key);
    if (cur) {
      cur.heartbeatMs = Math.max(cur.heartbeatMs, r.heartbeatMs);
      cur.state = r.state;
      cur.assignmentVersion = r.assignmentVersion;
    } else {
      this.replicas.set(key, { stage: r.stage, instance: r.instance, heartbeatMs: r.heartbeatMs, state: r.state, assignmentVersion: r.assignmentVersion });
    }
    if (this.rollout && r.assignmentVersion >= this.rollout.version) this.rollout.acked.add(key);
  }

  /** A replica deregistered (its entry was deleted: a drain). */
  gone(stage: string, instance: string): void {
    const key = `${stage}/${instance}`;
    this.replicas.delete(key);
    this.rollout?.expected.delete(key);
  }

  /** Ready replicas known now. */
  get live(): number {
    return [...this.replicas.values()].filter((r) => r.state === "ready").length;
  }

  /** A version went out: every ready replica of a stage it names should ack it within the timeout. */
  published(version: number, stages: ReadonlySet<string>, nowMs: number): void {
    const expected = new Set([...this.replicas.entries()].filter(([, r]) => r.state === "ready" && stages.has(r.stage)).map(([k]) => k));
    const acked = new Set([...this.replicas.entries()].filter(([, r]) => r.assignmentVersion >= version).map(([k]) => k));
    this.rollout = { version, expected, acked, deadlineMs: nowMs + this.o.ackTimeoutMs, attempts: 0, done: false };
  }

  /** An ack (applied or refused: either way the replica processed it). */
  acked(version: number, stage: string, instance: string): void {
    if (this.rollout && version >= this.rollout.version) this.rollout.acked.add(`${stage}/${instance}`);
  }

  /** Finds vanished replicas, and whether the rollout is overdue (then re-send, or give up). */
  tick(nowMs: number): RolloutCheck {
    const vanished: string[] = [];
    for (const [k, r] of this.replicas) {
      if (nowMs - r.heartbeatMs > this.o.replicaStaleMs) {
        vanished.push(k);
        this.replicas.delete(k);
        this.rollout?.expected.delete(k);
      }
    }
    const ro = this.rollout;
    if (!ro || ro.done || nowMs < ro.deadlineMs) return { vanished };
    const missing = [...ro.expected].filter((k) => !ro.acked.has(k)).sort();
    if (missing.length === 0) {
      ro.done = true;
      return { vanished };
    }
    ro.attempts += 1;
    const gaveUp = ro.attempts > this.o.ackRetries;
    if (gaveUp) ro.done = true;
    else ro.deadlineMs = nowMs + this.o.ackTimeoutMs;
    return { vanished, overdue: { version: ro.version, missing, attempt: ro.attempts, gaveUp } };
  }
}
