/**
 * The numbers of stage contract v1 (docs/extending.md) that the kit checks against. Changing one
 * changes the contract: bump its version in the doc.
 */
export const CONTRACT = {
  version: 1,
  /** Default registry heartbeat period, ms. */
  heartbeatMs: 2000,
  /** A registry entry whose heartbeat is older than this is dead (3 default heartbeats), ms. */
  deadAfterMs: 6000,
  /** StageMetrics period, ms. */
  metricsIntervalMs: 1000,
  /** Registry states. */
  states: ["starting", "ready", "draining", "stopped"] as const,
  /** Response parameters every successful ModelInfer carries, with their OIP parameter type. */
  responseParameters: { variant: "stringParam", queue_ms: "doubleParam", stage_latency_ms: "doubleParam", batch_size: "int64Param" } as const,
  /** `fulcrum-error-code` of a request dropped before the model because it cannot meet its deadline. */
  deadlineErrorCode: "DEADLINE_UNMEETABLE",
  /** `fulcrum-error-code` of a malformed request. */
  invalidArgumentErrorCode: "INVALID_ARGUMENT",
} as const;
