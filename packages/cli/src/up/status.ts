import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import type { Bus, Stoppable } from "@fulcrum/runtime";

/** What the launcher knows about the running pipeline (from the control plane). */
export interface UpSnapshot {
  /** Latest assignment version seen (0: none yet). */
  readonly assignmentVersion: number;
  /** The latest assignment, `stage: variant×replicas b<batch> c<cores> (weight)…`. */
  readonly assignment: string;
  /** Instances that acked the latest version as applied. */
  readonly appliedBy: readonly string[];
  /** Highest version any instance acked as applied. */
  readonly highestApplied: number;
  /** Gateway totals since the launcher started listening. */
  readonly totals: { arrivals: number; inTime: number; late: number; rejected: number; failed: number };
  /** Registered instances and their variant. */
  readonly replicas: ReadonlyArray<{ instance: string; variant: string; state: string }>;
}

/** Follows gateway metrics, assignments, acks and the registry of one pipeline for the status line. */
export class UpStatus {
  private readonly subs: Stoppable[] = [];
  private readonly recent: Array<{ atMs: number; m: control.GatewayMetrics }> = [];
  private latest: control.Assignment | undefined;
  private readonly acks = new Map<number, Set<string>>();
  private highestApplied = 0;
  private readonly totals = { arrivals: 0, inTime: 0, late: 0, rejected: 0, failed: 0 };
  private readonly replicas = new Map<string, { instance: string; variant: string; state: string }>();

  constructor(private readonly pipeline: string) {}

  async start(bus: Bus): Promise<void> {
    const p = this.pipeline;
    this.subs.push(
      bus.subscribe(subjects.gatewayMetrics(p), control.GatewayMetrics, (m) => {
        this.recent.push({ atMs: Date.now(), m });
        if (this.recent.length > 60) this.recent.shift();
        this.totals.arrivals += m.arrivals;
        this.totals.inTime += m.answeredInTime;
        this.totals.late += m.late;
        this.totals.rejected += m.rejected;
        this.totals.failed += m.failed;
      }),
      bus.subscribe(subjects.assignment(p), control.Assignment, (a) => this.onAssignment(a)),
      bus.subscribe(subjects.ackAll(p), control.AssignmentAck, (a) => {
        if (!a.applied) return;
        let s = this.acks.get(a.version);
        if (!s) this.acks.set(a.version, (s = new Set()));
        s.add(a.instance);
        this.highestApplied = Math.max(this.highestApplied, a.version);
      }),
    );
    const kv = await bus.kv(KV_BUCKETS.assignments);
    const stored = await kv.get(kvKeys.assignment(p), control.Assignment).catch(() => undefined);
    if (stored) this.onAssignment(stored);
    const registry = await bus.kv(KV_BUCKETS.registry);
    this.subs.push(
      await registry.watch(kvKeys.registryOfPipeline(p), control.RegistryEntry, (e, key) => {
        if (!e) this.replicas.delete(key);
        else this.replicas.set(key, { instance: e.instance, variant: e.variant, state: e.state });
      }),
    );
    await bus.flush();
  }

  private onAssignment(a: control.Assignment): void {
    if (!this.latest || a.version > this.latest.version) this.latest = a;
  }

  snapshot(): UpSnapshot {
    const a = this.latest;
    return {
      assignmentVersion: a ? a.version : 0,
      assignment: a
        ? a.stages.map((s) => `${s.stage}: ${s.variants.map((v) => `${v.variant}×${v.replicas} b${v.batch} c${v.coresPerReplica} (${(100 * v.weight).toFixed(0)}%)`).join(", ")}`).join("; ") + ` [${a.policy}, ${a.reason}]`
        : "none yet",
      appliedBy: a ? [...(this.acks.get(a.version) ?? [])].sort() : [],
      highestApplied: this.highestApplied,
      totals: { ...this.totals },
      replicas: [...this.replicas.values()].sort((x, y) => (x.instance < y.instance ? -1 : 1)),
    };
  }

  /** One status line over the gateway windows of the last `windowMs`. */
  line(elapsedS: number, windowMs = 5000): string {
    const now = Date.now();
    const ws = this.recent.filter((r) => now - r.atMs <= windowMs).map((r) => r.m);
    const sent = ws.reduce((s, m) => s + m.arrivals, 0);
    const span = ws.reduce((s, m) => s + m.windowMs, 0);
    const inTime = ws.reduce((s, m) => s + m.answeredInTime, 0);
    const bad = ws.reduce((s, m) => s + m.late + m.rejected + m.failed, 0);
    const p95 = ws.length ? Math.max(...ws.map((m) => m.latencyP95Ms)) : 0;
    const acc = ws.filter((m) => m.meanAccuracy > 0);
    const s = this.snapshot();
    const reps = s.replicas.filter((r) => r.state === "ready").map((r) => r.variant).join(",");
    return (
      `[${String(Math.round(elapsedS)).padStart(4)}s] ${span > 0 ? ((sent * 1000) / span).toFixed(1) : "0.0"} rps | in time ${inTime + bad > 0 ? ((100 * inTime) / (inTime + bad)).toFixed(1) : "-"}% | ` +
      `p95 ${p95.toFixed(1)} ms | accuracy ${acc.length ? (acc.reduce((x, m) => x + m.meanAccuracy, 0) / acc.length).toFixed(4) : "-"} | ` +
      `assignment v${s.assignmentVersion} (applied by ${s.appliedBy.length}) | replicas ${reps || "-"}`
    );
  }

  async stop(): Promise<void> {
    for (const s of this.subs) await s.stop();
  }
}
