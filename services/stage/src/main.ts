/**
 * Composition root of a stage replica: the only file that reads the environment, connects to
 * NATS and installs signal handlers. Start with `node --import @fulcrum/runtime/register dist/main.js`.
 */
import { connectBus, createLifecycle, launcherPid, createLogger, natsConnectOptions, preloadedTelemetry, type Bus } from "@fulcrum/runtime";
import { loadStageConfig } from "./config.js";
import { startStage } from "./stage.js";

const config = loadStageConfig(process.env);
const logger = createLogger({ service: "stage", level: config.logLevel, base: { pipeline: config.pipeline, stage: config.stage, instance: config.instance } });
const lifecycle = createLifecycle({ logger, stepTimeoutMs: config.shutdownGraceMs + 5000, parentPid: launcherPid(process.env) });

let bus: Bus | undefined;
try {
  bus = await connectBus({ ...natsConnectOptions(config), name: `stage-${config.pipeline}-${config.stage}-${config.instance}`, logger });
} catch (err) {
  // The data plane does not need NATS: serve the configured variant and say so.
  logger.error({ err }, "NATS unreachable at start-up: serving the configured variant without live reconfiguration");
}
// A drain request (`fulcrum.drain.<p>.<s>.<i>`) ends the process exactly as SIGTERM does.
const stage = await startStage(config, { logger, bus, env: process.env, processStartedMs: performance.timeOrigin, onDrainRequested: (reason) => void lifecycle.shutdown(reason).then(() => process.exit(0)) });
lifecycle.onShutdown("stage", () => stage.shutdown());
lifecycle.onShutdown("nats", () => bus?.drain());
lifecycle.onShutdown("telemetry", () => preloadedTelemetry()?.shutdown());
lifecycle.installSignalHandlers();
lifecycle.ready();
