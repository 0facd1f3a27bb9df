/**
 * Composition root of the predictor: the only file that reads the environment, connects to NATS
 * and installs signal handlers. Start with `node --import @fulcrum/runtime/register dist/main.js`.
 */
import { connectBus, createLifecycle, launcherPid, createLogger, preloadedTelemetry } from "@fulcrum/runtime";
import { loadPredictorConfig } from "./config.js";
import { startPredictor } from "./predictor.js";

const config = loadPredictorConfig(process.env);
const logger = createLogger({ service: "predictor", level: config.logLevel, base: { pipeline: config.pipeline } });
const lifecycle = createLifecycle({ logger, parentPid: launcherPid(process.env) });
const bus = await connectBus({ servers: config.natsUrl, name: `predictor-${config.pipeline}`, logger });
const predictor = await startPredictor(config, { bus, logger });
lifecycle.onShutdown("predictor", () => predictor.shutdown());
lifecycle.onShutdown("nats", () => bus.drain());
lifecycle.onShutdown("telemetry", () => preloadedTelemetry()?.shutdown());
lifecycle.installSignalHandlers();
lifecycle.ready();
