import { hostname } from "node:os";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { control, GRPCInferenceServiceService, KV_BUCKETS, kvKeys, REGISTRY_TTL_MS, subjects } from "@fulcrum/proto";
import {
  assignmentLimitsOf,
  followAssignments,
  ServingStatus,
  startGrpcServer,
  startMetricsServer,
  toDomainPlacement,
  unixClockMs,
  type AssignmentUpdate,
  type Bus,
  type GrpcServerHandle,
  type LifecycleState,
  type Logger,
  type MetricsServerHandle,
  type Stoppable,
  type TypedKv,
  grpcServerCredentials,
} from "@fulcrum/runtime";
import { familyVariants, resolveModelDir, resolveVariant } from "@fulcrum/zoo";
import type { StageConfig } from "./config.js";
import { Reconfigurer, type ApplyOutcome } from "./control/reconfigurer.js";
import { stagePrometheus } from "./control/prometheus.js";
import { InferencePool, type TensorDtype } from "@fulcrum/inference";
import { StageServer } from "./serving/stage-server.js";
import { grpcInferenceService } from "./transport/grpc-service.js";
import { ackMessage, registryEntryMessage, stageMetricsMessage, type ModelSignature, type ServingSnapshot, type TensorSignature } from "./transport/codec.js";

/** Lifecycle state published in the registry. */
export type StageState = LifecycleState;

/** Dependencies the composition root passes in. */
export interface StageDeps {
  readonly logger: Logger;
  /** Control-plane connection; without one the stage serves its configured variant only. */
  readonly bus?: Bus;
  /** Unix ms clock with sub-ms precision. @default `unixClockMs` */
  readonly clock?: () => number;
  /** Environment for model-directory resolution. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Called when a DrainRequest arrives on `fulcrum.drain.<p>.<s>.<i>`, so the composition root
   * shuts the process down exactly as on SIGTERM (which calls {@link StageHandle.shutdown}).
   * @default calls {@link StageHandle.shutdown} only
   */
  readonly onDrainRequested?: (reason: string) => void;
  /**
   * When this replica's process started, unix ms: its registry entry's `startedMs`, from which the
   * optimizer learns what a new replica costs before it serves (imports and connecting included).
   * @default the clock when `startStage` is called
   */
  readonly processStartedMs?: number;
}

/** A running stage replica. */
export interface StageHandle {
  readonly config: StageConfig;
  readonly state: StageState;
  /** `host:port` of the OIP gRPC server. */
  readonly grpcAddress: string;
  readonly metricsPort: number;
  readonly server: StageServer;
  readonly reconfigurer: Reconfigurer;
  /** Graceful, idempotent shutdown: stop intake, serve or refuse what is queued, deregister, close. */
  shutdown(): Promise<void>;
}


/**
 * Starts one stage replica: loads and warms its variant (from the latest Assignment in KV when
 * there is one, else the configured one), serves OIP gRPC, follows Assignments live, acks them,
 * publishes StageMetrics every second, heartbeats its registry entry, and serves `/metrics`.
 */
export async function startStage(config: StageConfig, deps: StageDeps): Promise<StageHandle> {
  const clock = deps.clock ?? unixClockMs;
  const log = deps.logger;
  const bus = deps.bus;
  const modelDir = config.modelDir ?? resolveModelDir(deps.env ?? process.env, process.cwd());
  const modelPathOf = (variant: string): string =>
    resolveVariant({ family: config.family, variant, modelDir, ...(config.resolution ? { resolution: config.resolution } : {}) }).path;
  // Fail fast on a variant the zoo does not know or has not built.
  modelPathOf(config.variant);
  const servable = familyVariants(config.family).filter((v) => {
    try {
      modelPathOf(v);
      return true;
    } catch {
      return false;
    }
  });

  let state: StageState = "starting";
  const startedMs = deps.processStartedMs ?? clock();
  /** When it turned ready (0 before): with `startedMs`, the start-up the optimizer learns from. */
  let readyMs = 0;
  const pool = new InferencePool({ maxCachedSessions: config.sessionCacheSize, inferenceNiceness: config.inferenceNiceness });
  const server = new StageServer({
    pool,
    clock,
    defaultSloMs: config.defaultSloMs,
    maxQueueDelayMs: config.maxQueueDelayMs,
    maxQueueSize: config.maxQueueSize,
    safetyMarginMs: config.safetyMarginMs,
    pipelineDepth: config.pipelineDepth,
  });
  const reconfigurer = new Reconfigurer({
    stage: config.stage,
    replicaIndex: config.replicaIndex,
    ...(config.pinVariant ? { pinnedVariant: config.variant } : {}),
    server,
    pool,
    modelPathOf,
    clock,
    logger: log,
  });

  let registryKv: TypedKv | undefined;
  let placementsKv: TypedKv | undefined;
  if (bus) {
    try {
      registryKv = await bus.kv(KV_BUCKETS.registry);
      if (config.followPlacement) placementsKv = await bus.kv(KV_BUCKETS.placements);
    } catch (err) {
      log.warn({ err }, "KV buckets unavailable; serving without stored assignments and registry");
    }
  }

  const id = { pipeline: config.pipeline, stage: config.stage, instance: config.instance };
  const serving = (): ServingSnapshot => {
    const a = server.active;
    return { variant: a?.variant ?? "", cores: a?.cores ?? 0, batchSize: a?.batchSize ?? 0, assignmentVersion: reconfigurer.version };
  };
  const ack = (o: ApplyOutcome): void => {
    bus?.publish(subjects.ack(config.pipeline, config.stage, config.instance), control.AssignmentAck, ackMessage(id, o, clock()));
  };
  // What this replica may be told to run: cores up to the machine's, batch up to the model's limit,
  // replicas and cores in all within the budget. Beyond them a version is refused and acked so.
  const limits = assignmentLimitsOf(config);
  const onAssignment = async (u: AssignmentUpdate): Promise<void> => {
    const received = clock();
    const outcome = "refused" in u ? await reconfigurer.refuse(u.version, u.refused.message, received) : await reconfigurer.apply(u.assignment, received);
    if (outcome) ack(outcome);
    if (outcome?.applied && state === "ready") void heartbeat();
  };

  const onPlacement = async (pb: control.ReplicaPlacement | undefined): Promise<void> => {
    if (!pb) return;
    const received = clock();
    let placement;
    try {
      placement = toDomainPlacement(pb, limits);
    } catch (err) {
      const mine = pb.pipeline === config.pipeline && pb.stage === config.stage && pb.instance === config.instance;
      // A placement of this replica that is beyond its limits is refused with an ack; other garbage is only logged.
      const outcome = mine && pb.generation >= 1 && pb.assignmentVersion >= 1 ? await reconfigurer.refuse(pb.assignmentVersion, (err as Error).message, received, pb.generation) : undefined;
      if (outcome) ack(outcome);
      else log.warn({ err, generation: pb.generation }, "ignoring invalid placement");
      return;
    }
    if (placement.pipeline !== config.pipeline || placement.stage !== config.stage || placement.instance !== config.instance) return;
    const outcome = await reconfigurer.place(placement, received);
    // An ack answers an Assignment version: a start-up placement made before any Assignment
    // (version 0) has none to answer.
    if (outcome && outcome.version >= 1) ack(outcome);
    // The registry shows the new configuration at once, not at the next heartbeat.
    if (outcome?.applied && state === "ready") void heartbeat();
  };
  const placementKey = kvKeys.placement(config.pipeline, config.stage, config.instance);

  // Start from the latest stored placement or Assignment when one exists (a late starter catches up).
  const subs: Stoppable[] = [];
  if (config.followPlacement) {
    await onPlacement(await placementsKv?.get(placementKey, control.ReplicaPlacement).catch(() => undefined));
  } else if (config.followAssignments && bus) {
    try {
      subs.push(await followAssignments({ bus, pipeline: config.pipeline, limits, logger: log, onUpdate: onAssignment }));
    } catch (err) {
      log.warn({ err }, "cannot follow Assignments: serving the configured variant");
    }
  }
  if (!server.active) await reconfigurer.switchTo({ variant: config.variant, cores: config.cores, batchSize: config.batchSize });

  const signature = (): ModelSignature | undefined => {
    const info = pool.active;
    if (!info) return undefined;
    const sig = (t: (typeof info.inputs)[number]): TensorSignature => ({
      name: t.name,
      dtype: t.dtype as TensorDtype,
      shape: t.shape.map((d) => (typeof d === "number" && d > 0 ? d : -1)),
    });
    return { name: config.stage, inputs: info.inputs.map(sig), outputs: info.outputs.map(sig) };
  };

  const grpc: GrpcServerHandle = await startGrpcServer({
    host: config.grpcHost,
    port: config.grpcPort,
    maxReceiveMessageBytes: config.maxRequestBytes * 4,
    credentials: grpcServerCredentials(config),
    logger: log,
    services: [
      {
        definition: GRPCInferenceServiceService as unknown as ServiceDefinition,
        implementation: grpcInferenceService({
          server,
          limits: { maxRequestBytes: config.maxRequestBytes, maxRowsPerRequest: config.maxRowsPerRequest },
          signature,
          ready: () => state === "ready",
          serverName: "fulcrum-stage",
          serverVersion: "0.1.0",
        }),
      },
    ],
  });
  const wildcard = config.grpcHost === "0.0.0.0" || config.grpcHost === "::";
  const advertised = `${config.advertiseHost ?? (wildcard ? hostname() : config.grpcHost)}:${grpc.port}`;
  const registry = stagePrometheus(server, { pipeline: config.pipeline, stage: config.stage, instance: config.instance }, () => reconfigurer.version);
  const metricsServer: MetricsServerHandle = await startMetricsServer({ port: config.metricsPort, host: config.grpcHost, registry, ready: () => state === "ready" });

  const timers: NodeJS.Timeout[] = [];
  // A drain request may shorten the queue's service time (DrainRequest.grace_ms), never lengthen it.
  let shutdownGraceMs = config.shutdownGraceMs;
  if (bus) {
    if (config.followPlacement && placementsKv) subs.push(await placementsKv.watch(placementKey, control.ReplicaPlacement, onPlacement, { updatesOnly: true }));
    let cpu = process.cpuUsage();
    timers.push(
      setInterval(() => {
        const w = server.takeWindow();
        const c = process.cpuUsage(cpu);
        cpu = process.cpuUsage();
        bus.publish(
          subjects.stageMetrics(config.pipeline, config.stage, config.instance),
          control.StageMetrics,
          stageMetricsMessage(id, w, serving(), server.queueLength, (c.user + c.system) / 1e6),
        );
      }, config.metricsIntervalMs),
    );
  }
  /** A control-plane write that must not hold up serving or shutdown while NATS is away. */
  const bounded = (what: string, work: Promise<unknown>): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        log.warn({ timeoutMs: config.controlPlaneTimeoutMs }, `${what} timed out: NATS unreachable?`);
        resolve();
      }, config.controlPlaneTimeoutMs);
      work.then(
        () => resolve(),
        (err: unknown) => {
          log.warn({ err }, `${what} failed`);
          resolve();
        },
      ).finally(() => clearTimeout(timer));
    });
  const heartbeat = async (): Promise<void> => {
    if (!registryKv) return;
    await bounded(
      "registry heartbeat",
      registryKv.put(
        kvKeys.registry(config.pipeline, config.stage, config.instance),
        control.RegistryEntry,
        registryEntryMessage(id, { address: advertised, serving: serving(), state, startedUnixMs: startedMs, readyUnixMs: readyMs, variants: servable }, clock()),
      ),
    );
  };
  timers.push(setInterval(() => void heartbeat(), config.heartbeatMs));

  state = "ready";
  readyMs = clock();
  grpc.health.set("", ServingStatus.SERVING);
  await heartbeat();
  log.info({ address: grpc.address, metricsPort: metricsServer.port, variant: server.active?.variant }, "stage ready");

  let stopped: Promise<void> | undefined;
  const handle: StageHandle = {
    config,
    get state() {
      return state;
    },
    grpcAddress: grpc.address,
    metricsPort: metricsServer.port,
    server,
    reconfigurer,
    shutdown() {
      stopped ??= (async () => {
        // Drain: tell the gateway first (registry `draining`), keep taking calls while it notices,
        // then refuse new ones and serve what is queued and in flight.
        state = "draining";
        grpc.health.set("", ServingStatus.NOT_SERVING);
        // With NATS away nobody can be told and nothing written: the control-plane steps are
        // skipped rather than waited out (a launcher SIGKILLs a stage slower than its grace).
        const away = bus !== undefined && !bus.connected;
        if (away && registryKv) log.warn({ registryTtlMs: REGISTRY_TTL_MS }, "NATS unreachable at shutdown: registry entry left to expire by its TTL (not marked draining, not deleted)");
        if (!away) {
          await heartbeat();
          if (config.drainGraceMs > 0) await new Promise((r) => setTimeout(r, config.drainGraceMs));
        }
        server.stopIntake();
        // Stopping a KV watch deletes its consumer on the server: with the server away that waits
        // forever, and closing the connection ends the watch anyway.
        for (const s of subs) {
          if (away) void s.stop().catch(() => {});
          else await s.stop();
        }
        await server.close(shutdownGraceMs);
        // Calls still arriving are answered UNAVAILABLE at once, so closing the transport is quick;
        // the long force timeout only guards against a client that never reads its answer.
        await grpc.shutdown(shutdownGraceMs + 5000);
        for (const t of timers) clearInterval(t);
        if (registryKv && !away) await bounded("registry delete", registryKv.delete(kvKeys.registry(config.pipeline, config.stage, config.instance)));
        await pool.close();
        await metricsServer.close();
        state = "stopped";
      })();
      return stopped;
    },
  };
  if (bus) {
    subs.push(
      bus.serve(subjects.drain(config.pipeline, config.stage, config.instance), control.DrainRequest, control.DrainReply, (req) => {
        if (req.graceMs > 0) shutdownGraceMs = Math.min(shutdownGraceMs, req.graceMs);
        log.info({ reason: req.reason, graceMs: shutdownGraceMs }, "drain requested");
        // Deferred so the reply goes out first: shutdown stops this very subscription, which waits for the handler.
        setImmediate(() => (deps.onDrainRequested ? deps.onDrainRequested(`drain: ${req.reason}`) : void handle.shutdown()));
        return { accepted: true, error: "" };
      }),
    );
  }
  return handle;
}
