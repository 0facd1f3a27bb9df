/**
 * Composition root of the optimizer: the only file that reads the environment, connects to NATS and
 * installs signal handlers. Start with `node --import @fulcrum/runtime/register dist/main.js`.
 */
import { connectBus, createLifecycle, launcherPid, createLogger, preloadedTelemetry } from "@fulcrum/runtime";
import { loadOptimizerConfig } from "./config.js";
import { startOptimizer } from "./optimizer.js";

const config = loadOptimizerConfig(process.env);
const logger = createLogger({ service: "optimizer", level: config.logLevel, base: { pipeline: config.pipeline, policy: config.policy } });
const lifecycle = createLifecycle({ logger, parentPid: launcherPid(process.env) });

let bus;
try {
  bus = await connectBus({ servers: config.natsUrl, name: `optimizer-${config.pipeline}`, logger });
} catch (err) {
  // Without the control plane the optimizer has nobody to tell: fail loudly, let the supervisor retry.
  logger.fatal({ err, natsUrl: config.natsUrl }, "cannot reach NATS");
  await preloadedTelemetry()?.shutdown();
  process.exit(1);
}
const optimizer = await startOptimizer(config, { bus, logger });
lifecycle.onShutdown("optimizer", () => optimizer.shutdown());
lifecycle.onShutdown("nats", () => bus.drain());
lifecycle.onShutdown("telemetry", () => preloadedTelemetry()?.shutdown());
lifecycle.installSignalHandlers();
lifecycle.ready();
