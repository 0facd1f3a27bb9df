/** @fulcrum/monitor: per-pipeline load and quality series, LoadSample publishing, Prometheus `/metrics`. */
export { loadMonitorConfig, monitorConfigSchema, type MonitorConfig } from "./config.js";
export { startMonitor, type MonitorDeps, type MonitorHandle, type MonitorState } from "./monitor.js";
export { monitorPrometheus } from "./telemetry/prometheus.js";
