import type { LoadSample, StageSample } from "../control/messages.js";
import type { GatewayWindow } from "./gateway-window.js";
import type { InstanceView, PipelineSummary, Totals } from "./pipeline-views.js";

/** Options of {@link MonitorAggregator}. */
export interface AggregatorOptions {
  /** Gateway windows kept per pipeline (≈ seconds of history). @default 3600 */
  readonly historyWindows?: number;
  /** Samples kept per stage instance. @default 120 */
  readonly instanceHistory?: number;
  /** An instance not heard from for this long is forgotten, ms. @default 30000 */
  readonly instanceTtlMs?: number;
  /** An instance whose last sample is older than this does not count as allocated, ms. @default 3000 */
  readonly staleMs?: number;
  /** Window of the rolling attainment and accuracy, ms. @default 60000 */
  readonly attainmentWindowMs?: number;
}

interface Received<T> {
  readonly value: T;
  readonly receivedMs: number;
}

interface PipelineData {
  readonly windows: Array<Received<GatewayWindow>>;
  /** Windows not yet folded into a published load point. */
  pending: GatewayWindow[];
  readonly instances: Map<string, Array<Received<StageSample>>>;
  totals: { sent: number; inTime: number; late: number; rejected: number; failed: number };
}

/**
 * The monitor's per-pipeline series, pure (time is a parameter, no I/O): gateway windows (bounded
 * history), each stage instance's recent samples, running totals, and the load points derived
 * from the gateway windows. One gateway per pipeline is assumed (windows are not merged by source).
 */
export class MonitorAggregator {
  private readonly data = new Map<string, PipelineData>();
  private readonly o: Required<AggregatorOptions>;

  constructor(options: AggregatorOptions = {}) {
    this.o = {
      historyWindows: options.historyWindows ?? 3600,
      instanceHistory: options.instanceHistory ?? 120,
      instanceTtlMs: options.instanceTtlMs ?? 30_000,
      staleMs: options.staleMs ?? 3000,
      attainmentWindowMs: options.attainmentWindowMs ?? 60_000,
    };
  }

  private of(pipeline: string): PipelineData {
    let d = this.data.get(pipeline);
    if (!d) this.data.set(pipeline, (d = { windows: [], pending: [], instances: new Map(), totals: { sent: 0, inTime: 0, late: 0, rejected: 0, failed: 0 } }));
    return d;
  }

  /** Pipelines seen so far, sorted. */
  pipelines(): string[] {
    return [...this.data.keys()].sort();
  }

  recordGateway(w: GatewayWindow, nowMs: number): void {
    const d = this.of(w.pipeline);
    d.windows.push({ value: w, receivedMs: nowMs });
    if (d.windows.length > this.o.historyWindows) d.windows.splice(0, d.windows.length - this.o.historyWindows);
    d.pending.push(w);
    d.totals.sent += w.arrivals;
    d.totals.inTime += w.answeredInTime;
    d.totals.late += w.late;
    d.totals.rejected += w.rejected;
    d.totals.failed += w.failed;
  }

  recordStage(s: StageSample, nowMs: number): void {
    const d = this.of(s.pipeline);
    const key = `${s.stage}.${s.instance}`;
    let h = d.instances.get(key);
    if (!h) d.instances.set(key, (h = []));
    h.push({ value: s, receivedMs: nowMs });
    if (h.length > this.o.instanceHistory) h.splice(0, h.length - this.o.instanceHistory);
  }

  /**
   * Folds the gateway windows received since the last call into one load point (undefined when
   * none arrived: no data is not zero load). Rate = Σ arrivals / Σ window length.
   */
  takeLoad(pipeline: string): LoadSample | undefined {
    const d = this.data.get(pipeline);
    if (!d || d.pending.length === 0) return undefined;
    const ws = d.pending;
    d.pending = [];
    const windowMs = ws.reduce((s, w) => s + w.windowMs, 0);
    const arrivals = ws.reduce((s, w) => s + w.arrivals, 0);
    const withBudget = ws.filter((w) => w.arrivals > 0 && w.budgetP50Ms > 0);
    return {
      pipeline,
      timestampMs: Math.min(...ws.map((w) => w.windowStartMs)),
      arrivalsRps: windowMs > 0 ? (arrivals * 1000) / windowMs : 0,
      windowMs,
      ...(withBudget.length
        ? { budgetP10Ms: Math.min(...withBudget.map((w) => w.budgetP10Ms)), budgetP50Ms: Math.min(...withBudget.map((w) => w.budgetP50Ms)) }
        : {}),
    };
  }

  /** Gateway windows kept for a pipeline, oldest first. */
  history(pipeline: string): GatewayWindow[] {
    return (this.data.get(pipeline)?.windows ?? []).map((r) => r.value);
  }

  /** Recent samples of one stage instance, oldest first. */
  instanceHistory(pipeline: string, stage: string, instance: string): StageSample[] {
    return (this.data.get(pipeline)?.instances.get(`${stage}.${instance}`) ?? []).map((r) => r.value);
  }

  /** Forgets instances silent for longer than `instanceTtlMs`. */
  prune(nowMs: number): void {
    for (const d of this.data.values()) {
      for (const [k, h] of d.instances) if (nowMs - h[h.length - 1]!.receivedMs > this.o.instanceTtlMs) d.instances.delete(k);
    }
  }

  summary(pipeline: string, nowMs: number): PipelineSummary | undefined {
    const d = this.data.get(pipeline);
    if (!d) return undefined;
    const last = d.windows[d.windows.length - 1]?.value;
    const recent = d.windows.filter((r) => nowMs - r.receivedMs <= this.o.attainmentWindowMs).map((r) => r.value);
    const rt = recent.reduce((t, w) => ({ sent: t.sent + w.arrivals, bad: t.bad + w.late + w.rejected + w.failed }), { sent: 0, bad: 0 });
    const acc = recent.filter((w) => w.meanAccuracy > 0);
    const answered = acc.reduce((s, w) => s + w.answeredInTime + w.late, 0);
    const instances: InstanceView[] = [...d.instances.values()].map((h) => {
      const r = h[h.length - 1]!;
      const s = r.value;
      return {
        stage: s.stage,
        instance: s.instance,
        variant: s.variant,
        cores: s.cores,
        batchSize: s.batchSize,
        queueLength: s.queueLength,
        latencyP95Ms: s.latencyP95Ms,
        assignmentVersion: s.assignmentVersion,
        throughputRps: s.windowMs > 0 ? (s.completions * 1000) / s.windowMs : 0,
        fresh: nowMs - r.receivedMs <= this.o.staleMs,
      };
    });
    instances.sort((a, b) => (a.stage + a.instance < b.stage + b.instance ? -1 : 1));
    const fresh = instances.filter((i) => i.fresh);
    const replicas: Record<string, number> = {};
    for (const i of fresh) replicas[i.stage] = (replicas[i.stage] ?? 0) + 1;
    const t: Totals = { ...d.totals };
    return {
      pipeline,
      arrivalsRps: last && last.windowMs > 0 ? (last.arrivals * 1000) / last.windowMs : 0,
      totals: t,
      attainment: rt.sent === 0 ? 1 : 1 - rt.bad / rt.sent,
      attainmentTotal: t.sent === 0 ? 1 : 1 - (t.late + t.rejected + t.failed) / t.sent,
      latencyP50Ms: last?.latencyP50Ms ?? 0,
      latencyP95Ms: last?.latencyP95Ms ?? 0,
      latencyP99Ms: last?.latencyP99Ms ?? 0,
      meanAccuracy: answered === 0 ? 0 : acc.reduce((s, w) => s + w.meanAccuracy * (w.answeredInTime + w.late), 0) / answered,
      coresAllocated: fresh.reduce((s, i) => s + i.cores, 0),
      replicas,
      instances,
      historyLength: d.windows.length,
    };
  }
}
