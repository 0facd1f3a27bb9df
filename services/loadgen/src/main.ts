/**
 * Composition root of the load generator: reads the environment, runs the trace, prints the
 * ledger line, and exits 0 when it is exact (`planned = sent + not-sent`,
 * `sent = in-time + late + rejected-with-reason + failed`), 1 otherwise. SIGINT/SIGTERM stop
 * sending (the rest counts not-sent, `stopped`); requests in flight still get their fate first.
 */
import { createLogger } from "@fulcrum/runtime";
import { loadLoadgenConfig } from "./config.js";
import { formatSummary } from "@fulcrum/core/accounting";
import { startLoadgen } from "./loadgen.js";

const config = loadLoadgenConfig(process.env);
const logger = createLogger({ service: "loadgen", level: config.logLevel, base: { pipeline: config.pipeline } });
const run = startLoadgen(config, { logger });
const stop = (): void => run.stop();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
const report = await run.done;
process.stdout.write(`loadgen ${config.pipeline}: ${formatSummary(report.summary)}\n`);
process.exit(report.summary.ledgerExact ? 0 : 1);
