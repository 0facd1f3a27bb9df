import type { Assignment } from "@fulcrum/core";
import type { GatewayWindow } from "@fulcrum/core/metrics";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { DEFAULT_MESSAGE_LIMITS, followAssignments, Refusals, toDomainAck, toDomainGatewayWindow, toDomainRegistryRecord, type Bus, type MessageMeta, type Stoppable } from "@fulcrum/runtime";

/** Assignment versions whose acks are kept. */
const ACK_VERSIONS_KEPT = 64;

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
  /** Control-plane messages refused as malformed or absurd (each printed once, naming the field). */
  readonly refused: number;
}

/**
 * Follows gateway metrics, assignments (the KV entry, the version authority), acks and the registry
 * of one pipeline for the status line. Every message is decoded by the control codec within the
 * default bounds; a refused one is printed naming the field (first of each kind, then every 100th).
 */
export class UpStatus {
  private readonly subs: Stoppable[] = [];
  private readonly recent: Array<{ atMs: number; m: GatewayWindow }> = [];
  private latest: { a: Assignment; reason: string } | undefined;
  private readonly refusals: Refusals;
  private readonly acks = new Map<number, Set<string>>();
  private readonly totals = { arrivals: 0, inTime: 0, late: 0, rejected: 0, failed: 0 };
  private readonly replicas = new Map<string, { instance: string; variant: string; state: string }>();

  constructor(
    private readonly pipeline: string,
    /** Where refusals are printed. @default stderr */
    print: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
  ) {
    this.refusals = new Refusals({ warn: (_context, message) => print(`status: ${message}`) });
  }

  async start(bus: Bus): Promise<void> {
    const p = this.pipeline;
    const bounds = (): { maxRps: number; maxClockSkewMs: number; nowMs: number } => ({ ...DEFAULT_MESSAGE_LIMITS, nowMs: Date.now() });
    /** Decodes with the control codec; a refused message is counted and printed, never thrown. */
    const accept = <T, D extends { pipeline: string }>(what: string, decode: (pb: T) => D, use: (d: D) => void) => (pb: T, meta: Pick<MessageMeta, "subject">): void => {
      let d: D;
      try {
        d = decode(pb);
      } catch (err) {
        this.refusals.record(what, err, { subject: meta.subject });
        return;
      }
      if (d.pipeline === p) use(d);
    };
    this.subs.push(
      bus.subscribe(subjects.gatewayMetrics(p), control.GatewayMetrics, accept("GatewayMetrics", (m: control.GatewayMetrics) => toDomainGatewayWindow(m, bounds()), (w) => {
        this.recent.push({ atMs: Date.now(), m: w });
        if (this.recent.length > 60) this.recent.shift();
        this.totals.arrivals += w.arrivals;
        this.totals.inTime += w.answeredInTime;
        this.totals.late += w.late;
        this.totals.rejected += w.rejected;
        this.totals.failed += w.failed;
      })),
      bus.subscribe(subjects.ackAll(p), control.AssignmentAck, accept("AssignmentAck", toDomainAck, (a) => {
        if (!a.applied) return;
        let s = this.acks.get(a.version);
        if (!s) {
          this.acks.set(a.version, (s = new Set()));
          // Bounded: forged acks of ever new versions must not grow it.
          if (this.acks.size > ACK_VERSIONS_KEPT) this.acks.delete(Math.min(...this.acks.keys()));
        }
        s.add(a.instance);
      })),
      await followAssignments({ bus, pipeline: p, onUpdate: (u) => void ("assignment" in u ? (this.latest = { a: u.assignment, reason: u.reason }) : this.refusals.record("Assignment", u.refused)) }),
    );
    const registry = await bus.kv(KV_BUCKETS.registry);
    this.subs.push(
      await registry.watch(kvKeys.registryOfPipeline(p), control.RegistryEntry, (e, key) => {
        if (!e) this.replicas.delete(key);
        else accept("RegistryEntry", (pb: control.RegistryEntry) => toDomainRegistryRecord(pb, bounds()), (r) => this.replicas.set(key, { instance: r.instance, variant: r.variant, state: r.state }))(e, { subject: `${KV_BUCKETS.registry}/${key}` });
      }),
    );
    await bus.flush();
  }

  /**
   * Newest version acked as applied that is not above the Assignment in force (the KV entry): an
   * ack of a version the optimizer never wrote (forged) does not count.
   */
  private highestApplied(inForce: number): number {
    let best = 0;
    for (const v of this.acks.keys()) if (v <= inForce && v > best) best = v;
    return best;
  }

  snapshot(): UpSnapshot {
    const a = this.latest?.a;
    return {
      assignmentVersion: a ? a.version : 0,
      assignment: a
        ? a.stages.map((s) => `${s.stage}: ${s.variants.map((v) => `${v.variant}×${v.replicas} b${v.batch} c${v.coresPerReplica} (${(100 * v.weight).toFixed(0)}%)`).join(", ")}`).join("; ") + ` [${a.policy}, ${this.latest?.reason ?? ""}]`
        : "none yet",
      appliedBy: a ? [...(this.acks.get(a.version) ?? [])].sort() : [],
      highestApplied: this.highestApplied(a?.version ?? 0),
      totals: { ...this.totals },
      replicas: [...this.replicas.values()].sort((x, y) => (x.instance < y.instance ? -1 : 1)),
      refused: this.refusals.total(),
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
