/** @fulcrum/optimizer: the control loop that turns forecasts into versioned Assignments. */
export {
  loadOptimizerConfig, optimizerConfigSchema, pipelineSpecSchema, resolveOptimizerConfig, toPolicyShape, variantSpecSchema,
  type OptimizerConfig, type OptimizerConfigInput, type PipelineSpec,
} from "./config.js";
export { startOptimizer, type DecisionOutcome, type OptimizerDeps, type OptimizerHandle, type OptimizerState } from "./optimizer.js";
export { AckTracker, type InstanceAck, type VersionAcks } from "./core/ack-tracker.js";
export { diffAssignments, type AllocationChange } from "./core/changes.js";
export { budgetsFromLoad, buildPolicyInput, forecastRps, usableForecast, type DecisionContext, type InputGap } from "./core/policy-input.js";
export type { AckInput, ForecastInput, LoadInput } from "./core/types.js";
export { toDomainAck, toDomainForecast, toDomainLoadSample, toPbForecast } from "./transport/codec.js";
export { createOptimizerMetrics, type OptimizerMetrics } from "./telemetry/metrics.js";
