/**
 * `@fulcrum/core/accounting`: request fates and the client-side ledger
 * (`sent = in-time + late + rejected + failed`), shared by the load generator, the gateway and the simulator.
 */
export type { RequestFate } from "./fate.js";
export { answeredFate } from "./fate.js";
export type { RunSummary, SentRequestRecord } from "./ledger.js";
export { classify, formatSummary, summarize } from "./ledger.js";
