/**
 * `@fulcrum/core/workload`: seeded, pure workload and network traces (IPA's four patterns,
 * InfAdapter's burst window, a multi-day training trace, a 4G bandwidth trace and Sponge's
 * per-request budgets), plus parsers for user-supplied rate CSVs and bandwidth logs (text in,
 * series out; callers read the files). All series are one value per second; rates in RPS.
 * The real Twitter trace is committed under `data/twitter-trace/` (read it with `loadTwitterTrace` from
 * `@fulcrum/runtime`; the windows the papers replay are {@link TWITTER_WINDOWS}).
 */
export type { BandwidthTraceOptions, ServerBudgetOptions } from "./bandwidth.js";
export { generateBandwidthTrace, serverBudgetsMs, tileSeries } from "./bandwidth.js";
export { parseBandwidthLog } from "./bandwidth-log.js";
export { TraceParseError, WorkloadOptionsError } from "./errors.js";
export { generateInfAdapterBurst, INFADAPTER_BURST_DURATION_S } from "./infadapter-burst.js";
export type { IpaPattern } from "./ipa-patterns.js";
export { generateIpaPattern, IPA_PATTERN_DURATION_S, IPA_PATTERN_STATS, IPA_PATTERNS } from "./ipa-patterns.js";
export type { RateCsvOptions, RateSeries } from "./rate-csv.js";
export { parseRateCsv } from "./rate-csv.js";
export type { SeriesStats } from "./stats.js";
export { seriesStats } from "./stats.js";
export type { TrainingTrace, TrainingTraceOptions } from "./training-trace.js";
export { generateTrainingTrace } from "./training-trace.js";
export type { TraceWindow, TwitterWindowName } from "./trace-windows.js";
export { IPA_DAMPING, sliceTraceWindow, TWITTER_TRAIN_SECONDS, TWITTER_WINDOWS } from "./trace-windows.js";
export type { PlannedRequest, SloSpec } from "./arrivals.js";
export { planArrivals } from "./arrivals.js";
export type { RateProfile } from "./rate-profile.js";
export { ratesOf } from "./rate-profile.js";
