import type { AssignmentAckRecord } from "./messages.js";

/** One instance's ack of a version. */
export interface InstanceAck {
  readonly stage: string;
  readonly instance: string;
  readonly applied: boolean;
  readonly applyMs: number;
  readonly error?: string;
}

/** Acks of one Assignment version. */
export interface VersionAcks {
  readonly version: number;
  /** Replicas the assignment asked for (Σ replicas), i.e. the acks a complete rollout produces. */
  readonly expectedReplicas: number;
  /** Latest ack per `<stage>/<instance>`. */
  readonly instances: readonly InstanceAck[];
  readonly applied: number;
  readonly failed: number;
  /** Largest apply time among applied acks, ms (the rollout's duration); 0 before any. */
  readonly maxApplyMs: number;
}

/**
 * Per-version ack bookkeeping for the last `history` versions (older versions and acks of unknown
 * versions are counted but not kept). Not thread-safe; the control loop owns it.
 */
export class AckTracker {
  private readonly versions = new Map<number, { expectedReplicas: number; acks: Map<string, InstanceAck> }>();
  /** Acks for versions no longer (or never) tracked. */
  untracked = 0;

  constructor(private readonly history: number) {}

  /** Starts tracking a published version. */
  published(version: number, expectedReplicas: number): void {
    this.versions.set(version, { expectedReplicas, acks: new Map() });
    while (this.versions.size > this.history) this.versions.delete(Math.min(...this.versions.keys()));
  }

  /** Records an ack; returns false when its version is not tracked. */
  record(ack: AssignmentAckRecord): boolean {
    const v = this.versions.get(ack.version);
    if (!v) {
      this.untracked++;
      return false;
    }
    v.acks.set(`${ack.stage}/${ack.instance}`, {
      stage: ack.stage, instance: ack.instance, applied: ack.applied, applyMs: ack.applyMs, ...(ack.error ? { error: ack.error } : {}),
    });
    return true;
  }

  /** The acks of `version`, or undefined when it is not tracked. */
  of(version: number): VersionAcks | undefined {
    const v = this.versions.get(version);
    if (!v) return undefined;
    const instances = [...v.acks.values()];
    const applied = instances.filter((a) => a.applied);
    return {
      version,
      expectedReplicas: v.expectedReplicas,
      instances,
      applied: applied.length,
      failed: instances.length - applied.length,
      maxApplyMs: applied.reduce((m, a) => Math.max(m, a.applyMs), 0),
    };
  }
}
