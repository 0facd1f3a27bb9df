export type { LinearModel, ModelConstraint, ModelVariable, SolveOptions, SolveResult, SolveStatus, Solver } from "./solver-port.js";
export type {
  BudgetSummary, ChosenOption, Explanation, FallbackReason, PolicyDecision, PolicyDeps, PolicyInput, PolicyLimits,
  PolicyName, PolicyStage, PolicyState, PolicyVariant,
} from "./types.js";
export { POLICY_NAMES } from "./types.js";
export { PolicyConfigError, PolicyInputError } from "./errors.js";
export type { CompiledPipeline } from "./pipeline.js";
export { allPaths, compilePipeline, endToEndBoundMs } from "./pipeline.js";
export type { OptionFilter, StageOption } from "./options.js";
export { ipaCoresFor, paretoPrune, stageOptions } from "./options.js";
export { effectiveBudgetMs, tightestBudgetMs } from "./budget.js";
export type { SingleChoiceProblem, SingleChoiceResult } from "./single-choice.js";
export { buildSingleChoiceModel, solveSingleChoice } from "./single-choice.js";
export { applyScaleDownHysteresis, carriesForecast } from "./hysteresis.js";
export type { HysteresisOutcome } from "./hysteresis.js";
export { maximumCapacityStages } from "./fallback.js";
export type { BruteForceResult } from "./brute-force.js";
export { bruteForce, bruteForceSingleChoice } from "./brute-force.js";
export type { RandomInstanceShape } from "./instances.js";
export { randomInstance } from "./instances.js";
export { commonConfigShape } from "./common-config.js";
export type { IpaConfig, IpaRestriction } from "./ipa.js";
export { decideIpa, ipaAccuracyTerm, ipaConfigSchema, ipaOptionValue } from "./ipa.js";
export { solveIpaProblem } from "./ipa.js";
export type { BranchAndBoundResult } from "./branch-and-bound.js";
export { branchAndBoundSingleChoice } from "./branch-and-bound.js";
export type { PolicyDefinition } from "./registry.js";
export { POLICIES } from "./registry.js";
export type { SpongeConfig, SpongePoint } from "./sponge.js";
export { decideSponge, spongeConfigSchema, spongePoint } from "./sponge.js";
export type { InfAdapterConfig } from "./infadapter.js";
export { decideInfAdapter, infAdapterCapacityRps, infAdapterConfigSchema, infAdapterEvaluate } from "./infadapter.js";
export type { Fa2Config } from "./fa2.js";
export { decideFa2, fa2ConfigSchema } from "./fa2.js";
export type { RimConfig } from "./rim.js";
export { decideRim, rimConfigSchema } from "./rim.js";
export type { MsPlusConfig } from "./ms-plus.js";
export { decideMsPlus, msPlusConfigSchema } from "./ms-plus.js";
export type { StaticConfig } from "./static.js";
export { decideStatic, staticConfigSchema } from "./static.js";
export type { VpaConfig } from "./vpa.js";
export { decideVpa, vpaConfigSchema } from "./vpa.js";
export type { HpaConfig } from "./hpa.js";
export { decideHpa, hpaConfigSchema } from "./hpa.js";
export type { FulcrumConfig, FulcrumModel, FulcrumOption } from "./fulcrum.js";
export {
  buildFulcrumModel, decideFulcrum, fulcrumConfigSchema, fulcrumObjective, fulcrumOptions, fulcrumShedPenaltyPerUnit, fulcrumSwitchCostMs,
  pruneFulcrumOptions,
} from "./fulcrum.js";
export { bruteForceFulcrum } from "./brute-force.js";
export type { FulcrumSearchProblem, FulcrumSearchResult } from "./fulcrum-search.js";
export { searchFulcrum } from "./fulcrum-search.js";
export type { ShareOption, StageConfiguration, StageConfigurationLimits, StageConfigurations } from "./stage-configurations.js";
export { enumerateStageConfigurations } from "./stage-configurations.js";
export type { ParetoPoint } from "./pareto.js";
export { paretoFilter } from "./pareto.js";
export type { FulcrumBruteForceResult } from "./brute-force.js";
