import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { StageServer } from "../serving/stage-server.js";

/** Period of the event-loop delay samples behind `nodejs_eventloop_lag_*`, ms. */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Prometheus metrics of one stage replica, read from the server's counters at scrape time;
 * `assignmentVersion` reads the highest Assignment version the replica applied (0 before any).
 */
export function stagePrometheus(server: StageServer, labels: { pipeline: string; stage: string; instance: string }, assignmentVersion: () => number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  // The event-loop delay histogram samples with a timer. prom-client's 10-ms default wakes the event
  // loop 100 times a second, and on a replica held to its cores each wake-up interrupts the running
  // batch: measured idle, 99 → 12 wake-ups/s and 16 → 7 CPU ms/s with 100 ms. Stalls longer than
  // that are still seen.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const total = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  total("fulcrum_stage_requests_total", "Requests received (accepted or not).", () => server.totals.arrivals);
  total("fulcrum_stage_completions_total", "Requests answered with a result.", () => server.totals.completions);
  total("fulcrum_stage_late_total", "Results delivered after their deadline.", () => server.totals.late);
  total("fulcrum_stage_early_drops_total", "Requests answered DEADLINE_EXCEEDED before reaching the model.", () => server.totals.earlyDrops);
  total("fulcrum_stage_estimate_resets_total", "Times the replica forgot its latency estimate after refusing requests on it while idle (so the next request runs and is measured).", () => server.totals.estimateResets);
  total("fulcrum_stage_rejected_total", "Requests refused with RESOURCE_EXHAUSTED (queue full).", () => server.totals.rejected);
  total("fulcrum_stage_failures_total", "Requests failed inside the model (INTERNAL).", () => server.totals.failures);
  total("fulcrum_stage_unavailable_total", "Requests answered UNAVAILABLE (no model yet or shutting down).", () => server.totals.unavailable);
  total("fulcrum_stage_batches_total", "Batches dispatched.", () => server.totals.batches);
  total("fulcrum_stage_inference_seconds_total", "Time onnxruntime spent running batches (busy time of the replica's cores).", () => server.totals.inferenceMs / 1000);
  new Gauge({ name: "fulcrum_stage_queue_length", help: "Requests waiting in the EDF queue.", registers: [registry], collect() { this.set(server.queueLength); } });
  new Gauge({ name: "fulcrum_stage_cores", help: "Cores (intra-op threads) of the active session.", registers: [registry], collect() { this.set(server.active?.cores ?? 0); } });
  new Gauge({ name: "fulcrum_stage_batch_size", help: "Maximum batch size in force.", registers: [registry], collect() { this.set(server.active?.batchSize ?? 0); } });
  new Gauge({ name: "fulcrum_stage_assignment_version", help: "Highest Assignment version this replica applied (0 before any).", registers: [registry], collect() { this.set(assignmentVersion()); } });
  new Gauge({
    name: "fulcrum_stage_variant_info",
    help: "1 for the variant being served.",
    labelNames: ["variant"],
    registers: [registry],
    collect() {
      this.reset();
      if (server.active) this.set({ variant: server.active.variant }, 1);
    },
  });
  return registry;
}
