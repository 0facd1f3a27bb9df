import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The reconcile loop's Prometheus series. */
export interface ReconcileMetrics {
  readonly registry: Registry;
  /** Actions by kind and result (`ok`, `failed`). */
  readonly actions: Counter<"pipeline" | "kind" | "result">;
  /** Action duration by kind: start → ready, retarget → serving the new target, drain → gone, s. */
  readonly actionSeconds: Histogram<"pipeline" | "kind">;
  /** Cold starts (new replica → ready), s, by variant. */
  readonly coldStartSeconds: Histogram<"pipeline" | "stage" | "variant">;
  /** Cold starts completed, by variant. */
  readonly coldStarts: Counter<"pipeline" | "stage" | "variant">;
  /** Replicas by stage, variant and phase. */
  readonly replicas: Gauge<"pipeline" | "stage" | "variant" | "phase">;
  /** Cores held by the pipeline's managed replicas, and the budget. */
  readonly coresHeld: Gauge<"pipeline">;
  readonly coreBudget: Gauge<"pipeline">;
  /** Desired replicas the last pass could not act on (budget, backoff, rate limit). */
  readonly deferred: Gauge<"pipeline">;
}

/** Creates the loop's series in `registry` (a new one by default). */
export function createReconcileMetrics(registry = new Registry()): ReconcileMetrics {
  const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80];
  return {
    registry,
    actions: new Counter({ name: "fulcrum_actuator_actions_total", help: "Reconciler actions by kind and result.", labelNames: ["pipeline", "kind", "result"], registers: [registry] }),
    actionSeconds: new Histogram({ name: "fulcrum_actuator_action_seconds", help: "Duration of reconciler actions (start → ready, retarget → serving, drain → gone).", labelNames: ["pipeline", "kind"], buckets, registers: [registry] }),
    coldStarts: new Counter({ name: "fulcrum_actuator_cold_starts_total", help: "New replicas that became ready.", labelNames: ["pipeline", "stage", "variant"], registers: [registry] }),
    coldStartSeconds: new Histogram({ name: "fulcrum_actuator_cold_start_seconds", help: "New replica started → registered ready (load, warm, probe included).", labelNames: ["pipeline", "stage", "variant"], buckets, registers: [registry] }),
    replicas: new Gauge({ name: "fulcrum_actuator_replicas", help: "Managed replicas by stage, variant and phase.", labelNames: ["pipeline", "stage", "variant", "phase"], registers: [registry] }),
    coresHeld: new Gauge({ name: "fulcrum_actuator_cores_held", help: "Cores held by the managed replicas (draining ones included).", labelNames: ["pipeline"], registers: [registry] }),
    coreBudget: new Gauge({ name: "fulcrum_actuator_core_budget", help: "Cores the managed replicas may hold in all.", labelNames: ["pipeline"], registers: [registry] }),
    deferred: new Gauge({ name: "fulcrum_actuator_deferred", help: "Desired changes the last pass could not act on.", labelNames: ["pipeline"], registers: [registry] }),
  };
}
