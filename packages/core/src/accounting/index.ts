/**
 * `@fulcrum/core/accounting`: request fates and the client-side ledger
 * (`planned = sent + not-sent`, `sent = in-time + late + rejected-with-reason + failed`), shared by
 * the load generator, the gateway and the simulator.
 */
export type { RequestFate } from "./fate.js";
export { answeredFate, fateOfTransportClose, transitToleranceMs } from "./fate.js";
export type { ErrorAnswer, NotSentReason, RunCounts, RunSummary, SentRequestRecord } from "./ledger.js";
export { classify, formatSummary, summarize } from "./ledger.js";
export { RunAccumulator, type AccountedRequest } from "./accumulator.js";
