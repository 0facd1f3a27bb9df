/**
 * One gateway metrics window of a pipeline: the domain form of the `GatewayMetrics` message, made by
 * the gateway and aggregated by the monitor (docs/architecture.md#metrics: one definition of the metrics everywhere).
 */
export interface GatewayWindow {
  readonly pipeline: string;
  /** Start of the window, Unix ms, and its length, ms. */
  readonly windowStartMs: number;
  readonly windowMs: number;
  /** Requests that arrived in the window. */
  readonly arrivals: number;
  /** Fates of requests answered in the window: a result in time or late, refused with a reason, failed. */
  readonly answeredInTime: number;
  readonly late: number;
  readonly rejected: number;
  readonly failed: number;
  /** Latency quantiles of answered requests (in time or late), ms; 0 when none. */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  /** Quantiles of the budget requests had left on arrival, ms; 0 when none arrived. */
  readonly budgetP10Ms: number;
  readonly budgetP50Ms: number;
  /** Mean pipeline accuracy over answered requests with a known accuracy; 0 when unknown. */
  readonly meanAccuracy: number;
}
