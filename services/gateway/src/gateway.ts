import { status, type ServiceError, type ServiceDefinition } from "@grpc/grpc-js";
import { FulcrumError, NotFoundError } from "@fulcrum/core";
import { fateOfTransportClose, transitToleranceMs } from "@fulcrum/core/accounting";
import { RequestWindow } from "@fulcrum/core/metrics";
import { Router } from "@fulcrum/core/routing";
import { control, GRPCInferenceServiceService, KV_BUCKETS, kvKeys, subjects, type inference } from "@fulcrum/proto";
import {
  ServingStatus,
  startGrpcServer,
  startMetricsServer,
  followAssignments,
  toDomainRegistryRecord,
  toPbGatewayMetrics,
  unixClockMs,
  type AssignmentUpdate,
  type Bus,
  type GrpcServerHandle,
  type LifecycleState,
  type Logger,
  type MetricsServerHandle,
  type Stoppable,
  grpcChannelCredentials,
  grpcServerCredentials,
} from "@fulcrum/runtime";
import type { GatewayConfig, GatewayPipeline } from "./config.js";
import { PipelineAdmission } from "./serving/admission.js";
import { PipelineExecutor, type RequestObserver } from "./serving/pipeline-executor.js";
import { BurstLog } from "./telemetry/burst-log.js";
import { createGatewayMetrics, type GatewayMetrics } from "./telemetry/metrics.js";
import { gatewayGrpcService } from "./transport/grpc-service.js";
import { PIPELINE_VERSION, type FrontDoor, type RequestIntake } from "./transport/front-door.js";
import { GrpcIntake } from "./transport/intake.js";
import { startRestServer } from "./transport/rest.js";
import { StageClients } from "./transport/stage-clients.js";

/** Lifecycle state of the gateway. */
export type GatewayState = LifecycleState;

/** What the composition root (or a test) passes in. */
export interface GatewayDeps {
  readonly logger: Logger;
  /**
   * Control-plane connection (registry, assignments, metrics). The caller owns it. Without one the
   * gateway knows no replicas and answers UNAVAILABLE.
   */
  readonly bus?: Bus;
  /** Unix ms clock with sub-ms precision. @default `unixClockMs` */
  readonly clock?: () => number;
}

/** Request totals of one pipeline since start (fates as in docs/architecture.md#metrics). */
export interface PipelineTotals {
  arrivals: number;
  inTime: number;
  late: number;
  rejected: number;
  failed: number;
}

/** A running gateway. */
export interface GatewayHandle {
  readonly config: GatewayConfig;
  readonly state: GatewayState;
  /** `host:port` of the OIP gRPC server. */
  readonly grpcAddress: string;
  readonly httpPort: number;
  readonly metricsPort: number;
  readonly router: Router;
  readonly metrics: GatewayMetrics;
  /** Totals per pipeline since start. */
  totals(pipeline: string): PipelineTotals | undefined;
  /** Runs one request in process (what the gRPC and REST handlers call); `intake` as a transport saw it (default: arrival now). */
  infer(pipeline: string, req: inference.ModelInferRequest, intake?: RequestIntake): Promise<inference.ModelInferResponse>;
  /** Stops intake (UNAVAILABLE), waits for in-flight requests up to `shutdownGraceMs`, closes everything. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Least transit time allowed between a client's send and the gateway's arrival stamp when telling a
 * client's deadline passing from a cancel (`transitToleranceMs`: a tenth of the client's budget, at
 * least this), ms.
 */
const CLIENT_DEADLINE_TOLERANCE_MS = 50;

/** Version the gateway reports in OIP server metadata. */
const GATEWAY_VERSION = "0.1.0";

const STATUS_NAME = Object.fromEntries(Object.entries(status).filter(([, v]) => typeof v === "number").map(([k, v]) => [v, k])) as Record<number, string>;

/**
 * Starts the gateway: OIP gRPC and REST front doors for the configured pipelines, routing by the
 * registry (KV `fulcrum_registry`, watched) and the assignment in force (KV `fulcrum_assignments` +
 * `fulcrum.assignment.<p>`), GatewayMetrics every `metricsIntervalMs`, Prometheus `/metrics`.
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<GatewayHandle> {
  const log = deps.logger;
  const clock = deps.clock ?? unixClockMs;
  const bus = deps.bus;
  let state: GatewayState = "starting";
  const pipelines = new Map<string, GatewayPipeline>(config.pipelines.map((p) => [p.name, p]));
  const router = new Router({ staleMs: config.staleMs, ejectMs: config.ejectMs });
  const clients = new StageClients(config.maxRequestBytes * 2, grpcChannelCredentials(config));
  const windows = new Map<string, RequestWindow>(config.pipelines.map((p) => [p.name, new RequestWindow(p.name, clock())]));
  const totals = new Map<string, PipelineTotals>(config.pipelines.map((p) => [p.name, { arrivals: 0, inTime: 0, late: 0, rejected: 0, failed: 0 }]));

  const liveCounts = (): Array<{ pipeline: string; stage: string; live: number }> =>
    config.pipelines.flatMap((p) => p.stages.map((s) => ({ pipeline: p.name, stage: s.name, live: router.liveReplicas(p.name, s.name, clock()).length })));
  const admission = new PipelineAdmission({
    router,
    maxInFlight: config.maxInFlight,
    maxInFlightPerReplica: config.maxInFlightPerReplica,
    budgetShare: config.admissionBudgetShare,
    windowMs: config.admissionWindowMs,
  });
  const admissionView = () => config.pipelines.map((p) => ({ pipeline: p.name, inFlight: admission.inFlight(p.name), limit: admission.limit(p, clock()), expectedMs: admission.expectedLatencyMs(p.name) }));
  const metrics = createGatewayMetrics(liveCounts, admissionView);
  const transportLog = new BurstLog({
    write: (fields, message) => log.warn(fields, message),
    message: "calls closed by the client or the transport before the gateway answered (counted failed, or rejected when the client's deadline had passed)",
    intervalMs: config.transportLogIntervalMs,
    clock,
  });
  const observer: RequestObserver = {
    arrived(p, budgetMs) {
      windows.get(p)?.arrive(budgetMs);
      totals.get(p)!.arrivals += 1;
    },
    finished(p, e) {
      windows.get(p)?.finish(e);
      const t = totals.get(p)!;
      if (e.fate === "in-time") t.inTime += 1;
      else if (e.fate === "late") t.late += 1;
      else if (e.fate === "rejected") t.rejected += 1;
      else t.failed += 1;
      metrics.requests.inc({ pipeline: p, fate: e.fate });
      if (e.code !== undefined) metrics.errors.inc({ pipeline: p, code: STATUS_NAME[e.code] ?? String(e.code) });
      else metrics.latency.observe({ pipeline: p }, e.latencyMs / 1000);
    },
    retried(p, stage, instance, details) {
      metrics.retries.inc({ pipeline: p, stage });
      log.debug({ pipeline: p, stage, instance, details }, "replica unavailable: retrying another one");
    },
    fellBack(p, stage) {
      metrics.fallbacks.inc({ pipeline: p, stage });
    },
    shed(p, reason) {
      metrics.shed.inc({ pipeline: p, reason });
    },
  };
  const intake = new GrpcIntake(clock, (e) => {
    const f = fateOfTransportClose(e.closedMs, e.clientDeadlineMs, transitToleranceMs(e.arrivalMs, e.clientDeadlineMs, CLIENT_DEADLINE_TOLERANCE_MS));
    const kind = f.fate === "rejected" ? "deadline" : "cancelled";
    metrics.transportErrors.inc({ kind });
    transportLog.note(kind, { peer: e.peer, afterMs: Math.round(e.closedMs - e.arrivalMs), clientBudgetMs: e.clientDeadlineMs === undefined ? null : Math.round(e.clientDeadlineMs - e.arrivalMs), beforeHandler: !e.claimed });
    // A call closed before the handler took it is counted here, against its pipeline (the one it
    // named, or the only one), with the fate its client saw; the executor counts the others.
    const pipeline = !e.claimed ? (e.modelName !== undefined && pipelines.has(e.modelName) ? e.modelName : config.pipelines.length === 1 ? config.pipelines[0]!.name : undefined) : undefined;
    if (pipeline !== undefined) {
      observer.arrived(pipeline, e.clientDeadlineMs === undefined ? 0 : e.clientDeadlineMs - e.arrivalMs);
      observer.finished(pipeline, { fate: f.fate, latencyMs: e.closedMs - e.arrivalMs, code: status[f.code] });
    }
  });

  const executor = new PipelineExecutor({
    router,
    caller: clients,
    clock,
    maxAttempts: config.maxAttempts,
    callGraceMs: config.callGraceMs,
    observer,
    admission,
    clientDeadlineToleranceMs: CLIENT_DEADLINE_TOLERANCE_MS,
    logger: log,
  });

  let inFlight = 0;
  let idle: (() => void) | undefined;
  /** The pipeline named by an OIP model name and version; NOT_FOUND naming what exists. */
  const pipelineOf = (name: string, version: string | undefined): GatewayPipeline => {
    const p = pipelines.get(name);
    if (!p) throw new NotFoundError("pipeline", name, { known: [...pipelines.keys()] });
    if (version !== undefined && version !== "" && version !== PIPELINE_VERSION) throw new NotFoundError(`pipeline "${name}" version`, version, { known: [PIPELINE_VERSION] });
    return p;
  };
  const infer = async (name: string, req: inference.ModelInferRequest, from?: RequestIntake): Promise<inference.ModelInferResponse> => {
    const p = pipelineOf(name, req.modelVersion);
    // Refused while starting or draining, and counted: the client saw UNAVAILABLE.
    if (state !== "ready") executor.refuse(p.name, new FulcrumError("GATEWAY_NOT_READY", "unavailable", `gateway is ${state}`), from);
    inFlight += 1;
    try {
      return await executor.infer(p, req, from);
    } finally {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    }
  };
  const modelReady = (name: string, version?: string): boolean => {
    let p: GatewayPipeline;
    try {
      p = pipelineOf(name, version);
    } catch {
      return false;
    }
    if (state !== "ready") return false;
    return p.stages.every((s) => router.liveReplicas(p.name, s.name, clock()).length > 0);
  };
  const metadata = async (name: string, version?: string): Promise<inference.ModelMetadataResponse> => {
    const p = pipelineOf(name, version);
    const first = p.stages[0]!.name;
    const last = p.stages[p.stages.length - 1]!.name;
    const pick = (stage: string): string => {
      const r = router.route(p.name, stage, clock());
      if (!r) throw new FulcrumError("NO_REPLICA", "unavailable", `no ready replica of stage "${stage}" of pipeline "${p.name}" to describe its tensors`);
      return r.replica.address;
    };
    try {
      const a = await clients.metadata(pick(first), first, 2000);
      const b = last === first ? a : await clients.metadata(pick(last), last, 2000);
      return { name: p.name, versions: [PIPELINE_VERSION], platform: "fulcrum-pipeline", inputs: a.inputs, outputs: b.outputs };
    } catch (err) {
      if (err instanceof FulcrumError) throw err;
      throw new FulcrumError("STAGE_CALL_FAILED", "unavailable", `stage metadata unavailable: ${(err as ServiceError).details ?? String(err)}`, { cause: err });
    }
  };
  const serverMetadata = (): inference.ServerMetadataResponse => ({ name: "fulcrum-gateway", version: GATEWAY_VERSION, extensions: ["fulcrum-deadlines", "fulcrum-variants", "fulcrum-pipelines"] });
  const frontDoor: FrontDoor = { infer, metadata, serverMetadata, ready: () => state === "ready", modelReady };

  const subs: Stoppable[] = [];
  const timers: NodeJS.Timeout[] = [];
  if (bus) {
    try {
      const registry = await bus.kv(KV_BUCKETS.registry);
      for (const p of config.pipelines) {
        subs.push(
          await registry.watch(kvKeys.registryOfPipeline(p.name), control.RegistryEntry, (e, key) => {
            const [, stage, instance] = key.split(".");
            if (!e) {
              const gone = router.replicasOf(p.name, stage ?? "").find((r) => r.instance === instance);
              router.removeReplica(p.name, stage ?? "", instance ?? "");
              if (gone) clients.forget(gone.address);
              return;
            }
            try {
              const r = toDomainRegistryRecord(e);
              const known = router.replicasOf(p.name, r.stage).some((x) => x.instance === r.instance && x.address === r.address);
              router.upsertReplica(p.name, r);
              if (!known) clients.connect(r.address);
            } catch (err) {
              log.warn({ err, key }, "ignoring an invalid registry entry");
            }
          }),
        );
      }
    } catch (err) {
      log.error({ err }, "registry KV unavailable: no replicas are known, requests get UNAVAILABLE");
    }
    // The KV entry is the version authority; a refused (malformed or absurd) version leaves routing as it is.
    const onAssignment = (u: AssignmentUpdate): void => {
      if (!("assignment" in u)) return;
      const a = u.assignment;
      if (router.applyAssignment(a)) {
        metrics.assignmentVersion.set({ pipeline: a.pipeline }, a.version);
        log.info({ pipeline: a.pipeline, version: a.version, split: a.stages.map((s) => `${s.stage}:${s.variants.map((v) => `${v.variant}=${v.weight.toFixed(2)}`).join("/")}`).join(" ") }, "assignment applied to routing");
      }
    };
    try {
      for (const p of config.pipelines) subs.push(await followAssignments({ bus, pipeline: p.name, logger: log, onUpdate: onAssignment }));
    } catch (err) {
      log.warn({ err }, "assignments KV unavailable: routing without the assignment's traffic split");
    }
    await bus.flush().catch(() => {});
    // The data plane does not depend on the control plane: while NATS is away (or every heartbeat
    // went stale at once, which only a control-plane outage explains), keep routing to the replicas
    // known, and let health probes and failed calls eject the ones that are really gone.
    let away = false;
    let probing = false;
    const known = (): Array<{ pipeline: string; replica: ReturnType<Router["replicasOf"]>[number] }> =>
      config.pipelines.flatMap((p) => p.stages.flatMap((s) => router.replicasOf(p.name, s.name).filter((r) => r.state === "ready").map((replica) => ({ pipeline: p.name, replica }))));
    timers.push(
      setInterval(() => {
        const now = clock();
        const ready = known();
        const allStale = ready.length > 0 && ready.every(({ replica }) => now - replica.heartbeatMs > config.staleMs);
        const nowAway = !bus.connected || allStale;
        if (nowAway !== away) {
          away = nowAway;
          router.setControlPlaneAway(away);
          metrics.controlPlaneAway.set(away ? 1 : 0);
          if (away) log.warn({ natsConnected: bus.connected, replicas: ready.length }, "control plane away: routing to the replicas known, checked by health probes");
          else log.info("control plane back: routing by registry heartbeats again");
        }
        if (!away || probing) return;
        probing = true;
        void Promise.all(
          ready.map(async ({ replica }) => {
            const ok = await clients.probe(replica.address, Math.min(1000, config.probeIntervalMs));
            if (ok) router.readmit(replica.instance);
            else router.eject(replica.instance, clock());
          }),
        ).finally(() => {
          probing = false;
        });
      }, Math.min(1000, config.probeIntervalMs)),
    );
    timers.push(
      setInterval(() => {
        const now = clock();
        for (const [name, w] of windows) bus.publish(subjects.gatewayMetrics(name), control.GatewayMetrics, toPbGatewayMetrics(w.take(now)));
      }, config.metricsIntervalMs),
    );
  }

  const grpc: GrpcServerHandle = await startGrpcServer({
    host: config.host,
    port: config.grpcPort,
    maxReceiveMessageBytes: config.maxRequestBytes,
    credentials: grpcServerCredentials(config),
    logger: log,
    services: [{ definition: GRPCInferenceServiceService as unknown as ServiceDefinition, implementation: gatewayGrpcService(frontDoor, (md) => intake.of(md)) }],
    interceptors: [intake.interceptor],
  });
  const rest = await startRestServer({ ...frontDoor, maxBodyBytes: config.maxRequestBytes, clock, logger: log }, config.host, config.httpPort);
  const metricsServer: MetricsServerHandle = await startMetricsServer({ port: config.metricsPort, host: config.host, registry: metrics.registry, ready: () => state === "ready" });

  state = "ready";
  grpc.health.set("", ServingStatus.SERVING);
  log.info({ grpc: grpc.address, httpPort: rest.port, metricsPort: metricsServer.port, pipelines: [...pipelines.keys()] }, "gateway ready");

  let stopped: Promise<void> | undefined;
  return {
    config,
    get state() {
      return state;
    },
    grpcAddress: grpc.address,
    httpPort: rest.port,
    metricsPort: metricsServer.port,
    router,
    metrics,
    totals: (p) => (totals.has(p) ? { ...totals.get(p)! } : undefined),
    infer,
    shutdown() {
      stopped ??= (async () => {
        state = "draining";
        grpc.health.set("", ServingStatus.NOT_SERVING);
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            idle = resolve;
            setTimeout(resolve, config.shutdownGraceMs).unref();
          });
        }
        for (const t of timers) clearInterval(t);
        // One last window, so the monitor sees the requests of the final partial second.
        if (bus) {
          const now = clock();
          for (const [name, w] of windows) bus.publish(subjects.gatewayMetrics(name), control.GatewayMetrics, toPbGatewayMetrics(w.take(now)));
        }
        for (const s of subs) await s.stop();
        await grpc.shutdown(2000);
        transportLog.flush();
        await rest.close();
        await metricsServer.close();
        clients.closeAll();
        state = "stopped";
      })();
      return stopped;
    },
  };
}


