/**
 * Composition root of the load generator: reads the environment, runs the trace, prints the
 * summary, and exits 0 when every request is accounted for (1 otherwise). SIGINT/SIGTERM stop
 * sending; requests in flight still get their fate before the summary.
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
process.exit(report.summary.unaccounted === 0 ? 0 : 1);
