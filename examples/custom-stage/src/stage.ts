/**
 * One replica of the preprocessing stage, wired from its parts: OIP gRPC server, deadline-aware
 * queue, and the control plane. {@link startStage} resolves once the replica is ready and
 * registered; {@link StageHandle.drain} is the one shutdown path (drain request and SIGTERM).
 */
import * as grpc from "@grpc/grpc-js";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import type { Config } from "./config.js";
import { decide, names, openBucket, registryEntry, subscribe, type Running } from "./control.js";
import { Health, inferenceService } from "./oip.js";
import { loadContracts, type Assignment, type RegistryEntry } from "./protos.js";
import { Server } from "./serving.js";

/** A JSON log line on stdout. */
export type Log = (msg: string, extra?: object) => void;

export interface StageHandle {
  /** `host:port` the gRPC server listens on. */
  readonly address: string;
  /** Resolves when the replica has drained and closed everything. */
  readonly stopped: Promise<void>;
  /** Drains (idempotent): `draining` in the registry, serve the queue for up to `graceMs`, refuse new calls, deregister, close. */
  drain(reason: string, graceMs?: number): Promise<void>;
}

/** Name of the one input tensor. */
const INPUT_NAME = "image";

/** Unix ms with sub-ms resolution (queue and latency figures below 1 ms are common here). */
const now = (): number => performance.timeOrigin + performance.now();

export async function startStage(c: Config, log: Log): Promise<StageHandle> {
  const startedMs = Date.now();
  const contracts = loadContracts(c.protoDir);
  let state: RegistryEntry["state"] = "starting";
  let running: Running = { variant: c.variant, cores: c.cores, batch: c.batchSize, version: 0 };
  const server = new Server({ channels: c.channels, outputSize: c.outputSize, batchSize: c.batchSize, maxQueueSize: c.maxQueueSize, now });
  // Measured before the replica says it is ready, so first deadline decisions rest on this machine.
  server.probe(256);

  const nc: NatsConnection = await connect({ servers: c.natsUrl.split(","), name: `example-stage-${c.pipeline}-${c.stage}-${c.instance}`, maxReconnectAttempts: -1 });
  const registry: KV = await openBucket(nc, names.registryBucket, c.registryTtlMs);
  const assignments: KV = await openBucket(nc, names.assignmentsBucket);

  const health = new Health();
  const grpcServer = new grpc.Server({ "grpc.max_receive_message_length": c.maxRequestBytes + 1024 * 1024 });
  grpcServer.addService(
    contracts.inferenceService,
    inferenceService({
      server,
      model: c.stage,
      inputName: INPUT_NAME,
      outputName: c.outputName,
      channels: c.channels,
      outputSize: c.outputSize,
      maxRequestBytes: c.maxRequestBytes,
      maxRowsPerRequest: 64,
      defaultSloMs: c.defaultSloMs,
      ready: () => state === "ready",
      variant: () => running.variant,
      now,
    }),
  );
  grpcServer.addService(contracts.healthService, health.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${c.grpcHost}:${c.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `${c.advertiseHost}:${port}`;

  const heartbeat = async (): Promise<void> => {
    try {
      await registry.put(names.registryKey(c), contracts.RegistryEntry.encode(registryEntry(c, address, running, state, startedMs, Date.now())));
    } catch (err) {
      log("registry heartbeat failed", { err: (err as Error).message });
    }
  };

  // Assignments: one at a time, in arrival order; the stored one first (a late starter catches up).
  let chain = Promise.resolve();
  const onAssignment = (a: Assignment): Promise<void> => {
    const received = Date.now();
    chain = chain.then(() => {
      const d = decide(a, c, running, Date.now(), received);
      if (!d) return;
      running = d.running;
      server.batchSize = running.batch;
      log(d.ack.applied ? "assignment applied" : "assignment refused", { version: a.version, error: d.ack.error || undefined });
      if (c.breakClause !== "acks") nc.publish(names.ack(c), contracts.AssignmentAck.encode(d.ack));
    });
    // A failure is logged and does not stop the versions queued behind it.
    chain = chain.catch((err: unknown) => log("assignment handling failed", { version: a.version, err: (err as Error).message }));
    return chain;
  };
  const stored = await assignments.get(c.pipeline).catch(() => null);
  if (stored && stored.operation === "PUT" && stored.value.length > 0) await onAssignment(contracts.Assignment.decode(stored.value));

  const subs: Subscription[] = [subscribe(nc, names.assignment(c), contracts.Assignment.decode, onAssignment, log)];
  let cpu = process.cpuUsage();
  const timers: NodeJS.Timeout[] = [
    setInterval(() => {
      const w = server.window.take(now());
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      nc.publish(
        names.metrics(c),
        contracts.StageMetrics.encode({
          pipeline: c.pipeline,
          stage: c.stage,
          instance: c.instance,
          windowStartUnixMs: Math.round(w.windowStartMs),
          windowMs: Math.round(w.windowMs),
          arrivals: w.arrivals,
          completions: w.completions,
          queueLength: server.queueLength,
          latencyP50Ms: w.latencyP50Ms,
          latencyP95Ms: w.latencyP95Ms,
          latencyP99Ms: w.latencyP99Ms,
          violations: w.violations,
          earlyDrops: w.earlyDrops,
          rejected: w.rejected,
          meanBatch: w.meanBatch,
          variant: running.variant,
          cores: running.cores,
          batchSize: running.batch,
          cpuSeconds: (used.user + used.system) / 1e6,
          assignmentVersion: running.version,
          failures: w.failures,
        }),
      );
    }, c.metricsIntervalMs),
  ];
  if (c.breakClause !== "heartbeat") timers.push(setInterval(() => void heartbeat(), c.heartbeatMs));

  let stopped: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stoppedPromise = new Promise<void>((r) => (resolveStopped = r));
  const drain = (reason: string, graceMs = c.shutdownGraceMs): Promise<void> => {
    stopped ??= (async () => {
      log("draining", { reason, graceMs });
      state = "draining";
      server.stopIntake();
      health.set("NOT_SERVING");
      await heartbeat();
      for (const s of subs) s.unsubscribe();
      await server.close(graceMs);
      for (const t of timers) clearInterval(t);
      await registry.delete(names.registryKey(c)).catch(() => {});
      // Calls still arriving are refused at once; the bound only guards against a client that never reads its answer.
      await Promise.race([new Promise<void>((r) => grpcServer.tryShutdown(() => r())), new Promise<void>((r) => setTimeout(r, 5000).unref())]);
      grpcServer.forceShutdown();
      health.endAll();
      await nc.drain().catch(() => {});
      state = "stopped";
      log("stopped");
      resolveStopped();
    })();
    return stopped;
  };
  subs.push(
    subscribe(nc, names.drain(c), contracts.DrainRequest.decode, (req, reply) => {
      if (reply) nc.publish(reply, contracts.DrainReply.encode({ accepted: true, error: "" }));
      void drain(`drain request: ${req.reason || "no reason given"}`, req.graceMs > 0 ? Math.min(req.graceMs, c.shutdownGraceMs) : c.shutdownGraceMs);
    }, log),
  );

  state = "ready";
  health.set("SERVING");
  await heartbeat();
  log("stage ready", { address, variant: running.variant, assignmentVersion: running.version });
  return { address, stopped: stoppedPromise, drain };
}
