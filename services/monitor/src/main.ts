/**
 * Composition root of the monitor: the only file that reads the environment, connects to NATS and
 * installs signal handlers. Start with `node --import @fulcrum/runtime/register dist/main.js`.
 */
import { connectBus, createLifecycle, launcherPid, createLogger, preloadedTelemetry } from "@fulcrum/runtime";
import { loadMonitorConfig } from "./config.js";
import { startMonitor } from "./monitor.js";

const config = loadMonitorConfig(process.env);
const logger = createLogger({ service: "monitor", level: config.logLevel });
const lifecycle = createLifecycle({ logger, parentPid: launcherPid(process.env) });

let bus;
try {
  bus = await connectBus({ servers: config.natsUrl, name: "monitor", logger });
} catch (err) {
  // Every input of the monitor arrives over NATS: fail loudly, let the supervisor retry.
  logger.fatal({ err, natsUrl: config.natsUrl }, "cannot reach NATS");
  await preloadedTelemetry()?.shutdown();
  process.exit(1);
}
const monitor = await startMonitor(config, { bus, logger });
lifecycle.onShutdown("monitor", () => monitor.shutdown());
lifecycle.onShutdown("nats", () => bus.drain());
lifecycle.onShutdown("telemetry", () => preloadedTelemetry()?.shutdown());
lifecycle.installSignalHandlers();
lifecycle.ready();
