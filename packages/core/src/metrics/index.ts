/**
 * `@fulcrum/core/metrics`: one definition of the serving metrics everywhere (live services, the
 * simulator, reports): per-window counters of the gateway and of a stage replica, pipeline accuracy,
 * and the monitor's aggregation into load samples and pipeline views.
 */
export { pipelineAccuracy } from "./accuracy.js";
export type { GatewayWindow } from "./gateway-window.js";
export type { AggregatorOptions } from "./monitor-aggregator.js";
export { MonitorAggregator } from "./monitor-aggregator.js";
export type { InstanceView, PipelineSummary, Totals } from "./pipeline-views.js";
export type { FinishedRequest } from "./request-window.js";
export { RequestWindow } from "./request-window.js";
export type { StageWindow } from "./stage-window.js";
export { StageWindowStats } from "./stage-window.js";
