import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { MonitorAggregator } from "@fulcrum/core/metrics";

/**
 * The monitor's Prometheus registry: every pipeline's series, read from the aggregator at scrape
 * time (no second copy of the numbers).
 */
export function monitorPrometheus(agg: MonitorAggregator, clock: () => number): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const each = (fn: (s: NonNullable<ReturnType<MonitorAggregator["summary"]>>) => void): void => {
    const now = clock();
    for (const p of agg.pipelines()) {
      const s = agg.summary(p, now);
      if (s) fn(s);
    }
  };
  const gauge = (name: string, help: string, read: (s: NonNullable<ReturnType<MonitorAggregator["summary"]>>) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["pipeline"],
      registers: [registry],
      collect() {
        this.reset();
        each((s) => this.set({ pipeline: s.pipeline }, read(s)));
      },
    });
  };
  gauge("fulcrum_pipeline_arrivals_rps", "Arrivals per second in the latest gateway window.", (s) => s.arrivalsRps);
  gauge("fulcrum_pipeline_attainment", "1 - violations/sent over the rolling attainment window.", (s) => s.attainment);
  gauge("fulcrum_pipeline_attainment_total", "1 - violations/sent since the monitor started.", (s) => s.attainmentTotal);
  gauge("fulcrum_pipeline_accuracy", "Mean pipeline accuracy (product of variant accuracies) over the rolling window; 0 when unknown.", (s) => s.meanAccuracy);
  gauge("fulcrum_pipeline_cores_allocated", "Cores of the pipeline's live stage instances.", (s) => s.coresAllocated);
  new Counter({
    name: "fulcrum_pipeline_requests_total",
    help: "Requests by fate (in_time, late, rejected, failed) and sent, as reported by the gateway.",
    labelNames: ["pipeline", "fate"],
    registers: [registry],
    collect() {
      this.reset();
      each((s) => {
        this.inc({ pipeline: s.pipeline, fate: "sent" }, s.totals.sent);
        this.inc({ pipeline: s.pipeline, fate: "in_time" }, s.totals.inTime);
        this.inc({ pipeline: s.pipeline, fate: "late" }, s.totals.late);
        this.inc({ pipeline: s.pipeline, fate: "rejected" }, s.totals.rejected);
        this.inc({ pipeline: s.pipeline, fate: "failed" }, s.totals.failed);
      });
    },
  });
  new Gauge({
    name: "fulcrum_pipeline_latency_ms",
    help: "End-to-end latency quantiles of the latest gateway window, ms.",
    labelNames: ["pipeline", "quantile"],
    registers: [registry],
    collect() {
      this.reset();
      each((s) => {
        this.set({ pipeline: s.pipeline, quantile: "0.5" }, s.latencyP50Ms);
        this.set({ pipeline: s.pipeline, quantile: "0.95" }, s.latencyP95Ms);
        this.set({ pipeline: s.pipeline, quantile: "0.99" }, s.latencyP99Ms);
      });
    },
  });
  new Gauge({
    name: "fulcrum_stage_replicas",
    help: "Live instances per stage.",
    labelNames: ["pipeline", "stage"],
    registers: [registry],
    collect() {
      this.reset();
      each((s) => {
        for (const [stage, n] of Object.entries(s.replicas)) this.set({ pipeline: s.pipeline, stage }, n);
      });
    },
  });
  const perInstance = (name: string, help: string, read: (i: NonNullable<ReturnType<MonitorAggregator["summary"]>>["instances"][number]) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["pipeline", "stage", "instance", "variant"],
      registers: [registry],
      collect() {
        this.reset();
        each((s) => {
          for (const i of s.instances) if (i.fresh) this.set({ pipeline: s.pipeline, stage: i.stage, instance: i.instance, variant: i.variant }, read(i));
        });
      },
    });
  };
  perInstance("fulcrum_instance_cores", "Cores (intra-op threads) of a live stage instance.", (i) => i.cores);
  perInstance("fulcrum_instance_batch_size", "Maximum batch size of a live stage instance.", (i) => i.batchSize);
  perInstance("fulcrum_instance_queue_length", "Queue length of a live stage instance.", (i) => i.queueLength);
  perInstance("fulcrum_instance_latency_p95_ms", "p95 service latency of a live stage instance's latest window, ms.", (i) => i.latencyP95Ms);
  perInstance("fulcrum_instance_throughput_rps", "Completions per second of a live stage instance's latest window.", (i) => i.throughputRps);
  return registry;
}
