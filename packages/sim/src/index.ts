/**
 * @fulcrum/sim: a discrete-event simulator that runs Fulcrum's own core code (EDF batcher,
 * predictor, policies) on a virtual clock, and the papers' experiments on top of it. Pure: time
 * and randomness are inputs; files are read by `@fulcrum/sim/node`.
 */
export { ACTUATION_MODES, planStage } from "./actuation.js";
export type { ActuationAction, ActuationMode, ReplicaView } from "./actuation.js";
export { explicitArrivals, traceArrivals } from "./arrivals.js";
export type { ArrivalSource, TraceArrivalOptions } from "./arrivals.js";
export { ControlLoop } from "./control-loop.js";
export type { DecisionRecord, LoadSeries } from "./control-loop.js";
export { expectedAccuracy, simulate } from "./engine.js";
export type { SimDeps } from "./engine.js";
export { ExperimentConfigError, ExperimentNotFoundError, RunModeUnavailableError, SimInvariantError } from "./errors.js";
export type { SimIssue } from "./errors.js";
export { EventQueue } from "./event-queue.js";
export type { EventTarget } from "./event-queue.js";
export { CORE_FATE, FATES, Ledger } from "./ledger.js";
export type { CoreFateCounts, Fate, FateCounts } from "./ledger.js";
export type { ReplicaSettings } from "./replica.js";
export type { RunResult, RunSeries, RunTiming } from "./result.js";
export { createCoreRouter } from "./router.js";
export type { RequestRouter } from "./router.js";
export type { Scenario, ScenarioActuation, ScenarioForecast, ScenarioWorkload } from "./scenario.js";
export { StepIntegrator } from "./series.js";
export { perfServiceTime, sampleServiceMs } from "./service-time.js";
export type { PerfServiceTimeOptions, ServiceTable, ServiceTimeModel } from "./service-time.js";
export { combinePerfModels, scaledPerfModel } from "./profiles/perf-models.js";
export { capacityServicePerf, parseCapacityCsv } from "./profiles/infadapter-capacity.js";
export type { CapacityRow } from "./profiles/infadapter-capacity.js";
export { experimentSchema, parseExperiment, parseExperimentYaml } from "./experiment/schema.js";
export type { ExperimentSpec, PolicySpec, ProfileSetSpec, StageProfileSpec } from "./experiment/schema.js";
export { planRuns } from "./experiment/build.js";
export type { ExperimentData, PlannedRun, PlanOptions } from "./experiment/build.js";
export { ipaBaseAllocation } from "./experiment/base-allocation.js";
export { baseVariant, latencyRatios, stageModels } from "./experiment/stage-profiles.js";
export type { FileContents, StageModels } from "./experiment/stage-profiles.js";
export { runExperiment } from "./experiment/run.js";
export type { ExperimentDeps, ExperimentOutput, RunExperimentOptions } from "./experiment/run.js";
export { meanSummary, paperFigure, policySummary } from "./experiment/summary.js";
export { checkDirections, parseDirections } from "./experiment/directions.js";
export type { Direction, DirectionCheck, DirectionOutcome } from "./experiment/directions.js";
export type { ExperimentSummary, ExperimentTimeseries, PolicySummary, RunCost, RunTimeseries, SourceRevision } from "./experiment/summary.js";
export { parseLatencyGridCsv } from "./profiles/sponge-grid.js";
