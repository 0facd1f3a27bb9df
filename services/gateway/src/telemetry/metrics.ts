import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The gateway's Prometheus metrics (label `pipeline` on all but the process metrics). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Requests by fate: `in-time`, `late`, `rejected`, `failed`. */
  readonly requests: Counter<"pipeline" | "fate">;
  /** Rejected or failed requests by gRPC status name. */
  readonly errors: Counter<"pipeline" | "code">;
  /** Arrival → answer of answered requests, seconds. */
  readonly latency: Histogram<"pipeline">;
  /** Stage calls retried on another replica after UNAVAILABLE. */
  readonly retries: Counter<"pipeline" | "stage">;
  /** Stage calls sent to a replica of another variant than the split asked for. */
  readonly fallbacks: Counter<"pipeline" | "stage">;
  readonly assignmentVersion: Gauge<"pipeline">;
  /** Live replicas (ready, fresh heartbeat) per stage. */
  readonly liveReplicas: Gauge<"pipeline" | "stage">;
  /** 1 while the control plane is away and routing rests on health probes. */
  readonly controlPlaneAway: Gauge;
}

/** Creates the gateway's registry; `liveReplicas` reads `countLive` at scrape time. */
export function createGatewayMetrics(countLive: () => Array<{ pipeline: string; stage: string; live: number }>): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: "fulcrum_gateway_requests_total", help: "Requests by fate (in-time, late, rejected, failed).", labelNames: ["pipeline", "fate"], registers: [registry] }),
    errors: new Counter({ name: "fulcrum_gateway_errors_total", help: "Requests answered with an error, by gRPC status.", labelNames: ["pipeline", "code"], registers: [registry] }),
    latency: new Histogram({
      name: "fulcrum_gateway_latency_seconds",
      help: "Arrival to answer of answered requests.",
      labelNames: ["pipeline"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    retries: new Counter({ name: "fulcrum_gateway_retries_total", help: "Stage calls retried on another replica after the first one failed before answering.", labelNames: ["pipeline", "stage"], registers: [registry] }),
    controlPlaneAway: new Gauge({ name: "fulcrum_gateway_control_plane_away", help: "1 while NATS is away and routing rests on the replicas known and health probes.", registers: [registry] }),
    fallbacks: new Counter({ name: "fulcrum_gateway_fallback_routes_total", help: "Stage calls routed to any live replica because no replica of an assigned variant was live.", labelNames: ["pipeline", "stage"], registers: [registry] }),
    assignmentVersion: new Gauge({ name: "fulcrum_gateway_assignment_version", help: "Assignment version the router splits traffic by (0: none).", labelNames: ["pipeline"], registers: [registry] }),
    liveReplicas: new Gauge({
      name: "fulcrum_gateway_live_replicas",
      help: "Replicas the router may use (ready, fresh heartbeat or the control plane away, not ejected).",
      labelNames: ["pipeline", "stage"],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of countLive()) this.set({ pipeline: c.pipeline, stage: c.stage }, c.live);
      },
    }),
  };
}
