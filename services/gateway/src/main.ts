/**
 * Composition root of the gateway: the only file that reads the environment, connects to NATS and
 * installs signal handlers. Start with `node --import @fulcrum/runtime/register dist/main.js`.
 */
import { connectBus, createLifecycle, launcherPid, createLogger, preloadedTelemetry, type Bus } from "@fulcrum/runtime";
import { loadGatewayConfig } from "./config.js";
import { startGateway } from "./gateway.js";

const config = loadGatewayConfig(process.env);
const logger = createLogger({ service: "gateway", level: config.logLevel, base: { pipelines: config.pipelines.map((p) => p.name) } });
const lifecycle = createLifecycle({ logger, stepTimeoutMs: config.shutdownGraceMs + 5000, parentPid: launcherPid(process.env) });

let bus: Bus | undefined;
try {
  bus = await connectBus({ servers: config.natsUrl, name: "gateway", logger });
} catch (err) {
  // Without the registry the gateway knows no replica: it still starts and answers UNAVAILABLE, clearly.
  logger.error({ err, natsUrl: config.natsUrl }, "NATS unreachable at start-up: no replicas known, requests get UNAVAILABLE");
}
const gateway = await startGateway(config, { logger, ...(bus ? { bus } : {}) });
lifecycle.onShutdown("gateway", () => gateway.shutdown());
lifecycle.onShutdown("nats", () => bus?.drain());
lifecycle.onShutdown("telemetry", () => preloadedTelemetry()?.shutdown());
lifecycle.installSignalHandlers();
lifecycle.ready();
