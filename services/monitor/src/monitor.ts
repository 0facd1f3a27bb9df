import { MonitorAggregator } from "@fulcrum/core/metrics";
import { control, subjects } from "@fulcrum/proto";
import {
  startMetricsServer,
  toDomainGatewayWindow,
  toDomainStageSample,
  toPbLoadSample,
  unixClockMs,
  type Bus,
  type LifecycleState,
  type Logger,
  type MetricsServerHandle,
  type Stoppable,
} from "@fulcrum/runtime";
import type { MonitorConfig } from "./config.js";
import { monitorPrometheus } from "./telemetry/prometheus.js";

/** Lifecycle state of the monitor. */
export type MonitorState = LifecycleState;

/** What the composition root (or a test) passes in. */
export interface MonitorDeps {
  /** Control-plane connection; the caller owns it (and drains it after `shutdown()`). */
  readonly bus: Bus;
  readonly logger: Logger;
  /** Unix ms clock. @default `unixClockMs` */
  readonly clock?: () => number;
}

/** A running monitor. */
export interface MonitorHandle {
  readonly config: MonitorConfig;
  readonly state: MonitorState;
  readonly metricsPort: number;
  /** The live series (read-only use). */
  readonly aggregator: MonitorAggregator;
  /** Stops subscriptions and the timer, closes `/metrics`. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Starts the monitor: consumes every StageMetrics and GatewayMetrics, keeps per-pipeline series,
 * publishes a LoadSample per pipeline every `loadIntervalMs` (when new gateway windows arrived),
 * and serves Prometheus `/metrics`.
 */
export async function startMonitor(config: MonitorConfig, deps: MonitorDeps): Promise<MonitorHandle> {
  const { bus, logger: log } = deps;
  const clock = deps.clock ?? unixClockMs;
  let state: MonitorState = "starting";
  const aggregator = new MonitorAggregator({
    historyWindows: config.historyWindows,
    instanceHistory: config.instanceHistory,
    instanceTtlMs: config.instanceTtlMs,
    staleMs: config.staleMs,
    attainmentWindowMs: config.attainmentWindowMs,
  });
  const subs: Stoppable[] = [
    bus.subscribe(subjects.gatewayMetricsAll(), control.GatewayMetrics, (m) => aggregator.recordGateway(toDomainGatewayWindow(m), clock())),
    bus.subscribe(subjects.stageMetricsAll(), control.StageMetrics, (m) => aggregator.recordStage(toDomainStageSample(m), clock())),
  ];
  await bus.flush();
  const timer = setInterval(() => {
    for (const p of aggregator.pipelines()) {
      const load = aggregator.takeLoad(p);
      if (load) bus.publish(subjects.load(p), control.LoadSample, toPbLoadSample(load));
    }
    aggregator.prune(clock());
  }, config.loadIntervalMs);
  const metrics: MetricsServerHandle = await startMetricsServer({ port: config.metricsPort, host: config.metricsHost, registry: monitorPrometheus(aggregator, clock), ready: () => state === "ready" });
  state = "ready";
  log.info({ metricsPort: metrics.port }, "monitor ready");

  let stopped: Promise<void> | undefined;
  return {
    config,
    get state() {
      return state;
    },
    metricsPort: metrics.port,
    aggregator,
    shutdown() {
      stopped ??= (async () => {
        state = "draining";
        clearInterval(timer);
        for (const s of subs) await s.stop();
        await metrics.close();
        state = "stopped";
      })();
      return stopped;
    },
  };
}
