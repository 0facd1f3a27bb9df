/** @fulcrum/monitor: per-pipeline load and quality series, LoadSample publishing, Prometheus `/metrics`. */
export { loadMonitorConfig, monitorConfigSchema, type MonitorConfig } from "./config.js";
export { startMonitor, type MonitorDeps, type MonitorHandle, type MonitorState } from "./monitor.js";
export { MonitorAggregator, type AggregatorOptions } from "./core/aggregate.js";
export type { GatewayWindow, InstanceView, LoadPoint, PipelineSummary, StageSample, Totals } from "./core/types.js";
export { toDomainGatewayWindow, toDomainStageSample, toPbLoadSample } from "./transport/codec.js";
export { monitorPrometheus } from "./telemetry/prometheus.js";
