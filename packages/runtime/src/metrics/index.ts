export type { MetricsServerHandle, MetricsServerOptions } from "./metrics-server.js";
export { startMetricsServer } from "./metrics-server.js";
