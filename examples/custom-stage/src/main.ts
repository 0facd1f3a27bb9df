/**
 * Entry point: configuration from the environment (see config.ts), JSON log lines on stdout, and
 * the same drain on SIGTERM/SIGINT as on a drain request; the process exits when drained.
 */
import { ConfigError, loadConfig } from "./config.js";
import { startStage, type Log } from "./stage.js";

const log: Log = (msg, extra) => void process.stdout.write(`${JSON.stringify({ time: Date.now(), msg, ...extra })}\n`);

try {
  const config = loadConfig(process.env);
  const stage = await startStage(config, (msg, extra) => log(msg, { pipeline: config.pipeline, stage: config.stage, instance: config.instance, ...extra }));
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void stage.drain(signal));
  await stage.stopped;
  process.exit(0);
} catch (err) {
  process.stderr.write(`custom-stage: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
