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
  /** Requests refused at admission (RESOURCE_EXHAUSTED), by `reason`: `in-flight-limit`, `deadline-unreachable`. */
  readonly shed: Counter<"pipeline" | "reason">;
  /**
   * ModelInfer calls whose transport closed before the gateway answered, by `kind`: `deadline`
   * (the client's deadline passed) or `cancelled` (the client cancelled, or the HTTP/2 stream or
   * connection was reset).
   */
  readonly transportErrors: Counter<"kind">;
}

/** What the admission gauges read at scrape time, per pipeline. */
export interface AdmissionView {
  readonly pipeline: string;
  readonly inFlight: number;
  readonly limit: number;
  /** Expected latency of a request admitted now, ms (undefined while unknown). */
  readonly expectedMs: number | undefined;
}

/**
 * Creates the gateway's registry; `liveReplicas` reads `countLive` and the admission gauges read
 * `admission` at scrape time. The process defaults include the event loop's delay
 * (`nodejs_eventloop_lag_p99_seconds`…): how long a request can wait unseen before it arrives.
 */
export function createGatewayMetrics(countLive: () => Array<{ pipeline: string; stage: string; live: number }>, admission: () => AdmissionView[] = () => []): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "fulcrum_gateway_in_flight",
    help: "Requests admitted into the pipeline and not finished.",
    labelNames: ["pipeline"],
    registers: [registry],
    collect() {
      for (const a of admission()) this.set({ pipeline: a.pipeline }, a.inFlight);
    },
  });
  new Gauge({
    name: "fulcrum_gateway_admission_limit",
    help: "In-flight limit of the pipeline (configured, or per live replica of its narrowest stage).",
    labelNames: ["pipeline"],
    registers: [registry],
    collect() {
      for (const a of admission()) this.set({ pipeline: a.pipeline }, a.limit);
    },
  });
  new Gauge({
    name: "fulcrum_gateway_expected_latency_seconds",
    help: "Expected latency of a request admitted now (in flight + 1 × the service time per request while busy); absent while unknown.",
    labelNames: ["pipeline"],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of admission()) if (a.expectedMs !== undefined) this.set({ pipeline: a.pipeline }, a.expectedMs / 1000);
    },
  });
  return {
    shed: new Counter({ name: "fulcrum_gateway_shed_total", help: "Requests refused at admission with RESOURCE_EXHAUSTED, by reason.", labelNames: ["pipeline", "reason"], registers: [registry] }),
    transportErrors: new Counter({
      name: "fulcrum_gateway_transport_errors_total",
      help: "ModelInfer calls whose transport closed before the gateway answered: deadline (the client's passed) or cancelled (client cancel, stream or connection reset).",
      labelNames: ["kind"],
      registers: [registry],
    }),
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
