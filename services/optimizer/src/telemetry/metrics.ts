import { totalCores, type Assignment } from "@fulcrum/core";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The optimizer's Prometheus instruments. */
export interface OptimizerMetrics {
  readonly registry: Registry;
  /** Decisions by policy and outcome (`optimal`, `held`, `fallback`, `kept`). */
  readonly decisions: Counter<"policy" | "status">;
  /** Wall time of one policy decision (formulation + solve), s. */
  readonly solveSeconds: Histogram<"policy">;
  /** Fallbacks and kept assignments by reason (`infeasible`, `no-forecast`, …). */
  readonly fallbacks: Counter<"reason">;
  readonly version: Gauge;
  /** Acks by outcome (`applied`, `failed`, `untracked`). */
  readonly acks: Counter<"outcome">;
  readonly ackApplySeconds: Histogram;
  /** Cores the current assignment allocates. */
  readonly coresAllocated: Gauge;
  /** Replicas the current assignment decides per stage and variant (only its variants: a dropped one disappears). */
  readonly assignedReplicas: Gauge<"stage" | "variant">;
  /** λ̂ of the last decision, rps. */
  readonly forecastRps: Gauge;
  readonly observedPeakRps: Gauge;
  /** Fraction of λ̂ the last decision carries (< 1: shedding under overload). */
  readonly admittedFraction: Gauge;
  /** Start-up a new replica is priced at (learned from the registry, else configured), s. */
  readonly replicaStartSeconds: Gauge;
}

/** Creates the registry (default process metrics included), labelled with the pipeline. */
export function createOptimizerMetrics(pipeline: string): OptimizerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ pipeline });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    decisions: new Counter({ name: "fulcrum_optimizer_decisions_total", help: "Decisions by policy and outcome.", labelNames: ["policy", "status"], registers }),
    solveSeconds: new Histogram({
      name: "fulcrum_optimizer_solve_seconds", help: "Wall time of one policy decision (formulation and solve).", labelNames: ["policy"], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    fallbacks: new Counter({ name: "fulcrum_optimizer_fallbacks_total", help: "Fallback decisions and kept assignments by reason.", labelNames: ["reason"], registers }),
    version: new Gauge({ name: "fulcrum_optimizer_assignment_version", help: "Version of the last published Assignment.", registers }),
    acks: new Counter({ name: "fulcrum_optimizer_acks_total", help: "Assignment acks by outcome.", labelNames: ["outcome"], registers }),
    ackApplySeconds: new Histogram({ name: "fulcrum_optimizer_ack_apply_seconds", help: "Apply time reported by acks.", registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }),
    coresAllocated: new Gauge({ name: "fulcrum_optimizer_cores_allocated", help: "Cores allocated by the current Assignment.", registers }),
    assignedReplicas: new Gauge({ name: "fulcrum_optimizer_assigned_replicas", help: "Replicas the current Assignment decides, by stage and variant.", labelNames: ["stage", "variant"], registers }),
    forecastRps: new Gauge({ name: "fulcrum_optimizer_forecast_rps", help: "Arrival rate the last decision was made for: the forecast, floored at the observed peak.", registers }),
    observedPeakRps: new Gauge({ name: "fulcrum_optimizer_observed_peak_rps", help: "Highest arrival rate the monitor reported within the floor window before the last decision.", registers }),
    admittedFraction: new Gauge({ name: "fulcrum_optimizer_admitted_fraction", help: "Fraction of the forecast the last decision carries.", registers }),
    replicaStartSeconds: new Gauge({ name: "fulcrum_optimizer_replica_start_seconds", help: "Start-up a new replica is priced at, before its model load: the median of the start-ups seen in the registry, else the configured replicaStartMs.", registers }),
  };
}

/** Records the Assignment in force: cores allocated and replicas per stage and variant. */
export function recordAssignment(metrics: OptimizerMetrics, a: Pick<Assignment, "stages">): void {
  metrics.coresAllocated.set(totalCores(a));
  metrics.assignedReplicas.reset();
  for (const s of a.stages) for (const v of s.variants) metrics.assignedReplicas.set({ stage: s.stage, variant: v.variant }, v.replicas);
}
