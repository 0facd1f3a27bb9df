export { LatencyCsvError, PerfModelError, ProfileError } from "./errors.js";
export type { ProfileIssue } from "./errors.js";
export type { SpongeCoefficients } from "./latency-model.js";
export { batchFillMs, replicasNeeded, spongeLatencyMs, stageBoundMs, throughputRps } from "./latency-model.js";
export type { CapacityPerf, LatencyLookup, MeasuredLatency, PerfModel, VariantPerf } from "./perf-model.js";
export { createPerfModel } from "./perf-model.js";
export { parseLatencyCsv } from "./latency-csv.js";
export type { SpongeFit, SpongeFitOptions, SpongePrediction } from "./fit.js";
export { fitSpongeLatency, predictSponge } from "./fit.js";
export type { BatchTable, BatchTableRow } from "./batch-table.js";
export { buildBatchTables } from "./batch-table.js";
export type { CapacityLineFit, CapacityPoint } from "./capacity.js";
export { capacityAtSlo, capacityRps, fitCapacityLine } from "./capacity.js";
export type { HeldOutPoint, HoldoutResult } from "./holdout.js";
export { holdoutCheck } from "./holdout.js";
export type { LatencySummary, StabilityRule } from "./sample-stats.js";
export { isMedianStable, summarizeLatencies } from "./sample-stats.js";
export type {
  CapacityModel,
  LatencyStatistic,
  Machine,
  MeasurementSettings,
  Profile,
  ProfileExpectation,
  ProfilePoint,
  ProfileProvenance,
  ProfileVariant,
  ReportedFit,
} from "./profile-schema.js";
export {
  CapacityModelSchema,
  formatProfile,
  LATENCY_STATISTICS,
  MachineSchema,
  MeasurementSettingsSchema,
  parseProfile,
  parseProfileJson,
  PROFILE_SCHEMA_VERSION,
  ProfilePointSchema,
  ProfileProvenanceSchema,
  ProfileSchema,
  ProfileVariantSchema,
  ReportedFitSchema,
  statisticField,
} from "./profile-schema.js";
export type { FitProfileOptions, ProfilePerfOptions, VariantCapacity, VariantFit } from "./profile-fit.js";
export { fitProfile, perfModelFromProfile, variantPoints } from "./profile-fit.js";
export type { InfAdapterVariant, PaperStage, Provenance } from "./paper-data.js";
export { INFADAPTER_RESNETS, IPA_VIDEO_PIPELINE, SPONGE_YOLOV5_GRID, SPONGE_YOLOV5_REPORTED_FIT } from "./paper-data.js";
export { INFADAPTER_RESNET_PROFILE, PAPER_PROFILES, SPONGE_YOLOV5_PROFILE } from "./paper-profiles.js";
