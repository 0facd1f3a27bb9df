/** @fulcrum/optimizer: the control loop that turns forecasts into versioned Assignments. */
export {
  loadOptimizerConfig, optimizerConfigSchema, pipelineSpecSchema, resolveOptimizerConfig, toPolicyShape, variantSpecSchema,
  type OptimizerConfig, type OptimizerConfigInput, type PipelineSpec,
} from "./config.js";
export { startOptimizer, type DecisionOutcome, type OptimizerDeps, type OptimizerHandle, type OptimizerState } from "./optimizer.js";
export { createOptimizerMetrics, type OptimizerMetrics } from "./telemetry/metrics.js";
