/**
 * Preload for services: `node --import @fulcrum/runtime/register dist/main.js`.
 *
 * Registers the import-in-the-middle loader hook and starts tracing BEFORE the application imports
 * `@grpc/grpc-js`; under ESM, gRPC auto-instrumentation silently produces no spans otherwise.
 * The service name comes from `OTEL_SERVICE_NAME` (default `fulcrum`). `main.ts` reaches the
 * started instance through {@link preloadedTelemetry} to flush it on shutdown.
 */
import { register } from "node:module";
import { sourceMapsWanted } from "./source-maps.js";
import { startTelemetry, type Telemetry } from "./telemetry.js";

// tsx turns on source-mapped stack traces; they cost every error whose stack is read (see
// source-maps.ts), and grpc-js reads one for every call that ends in a non-OK status.
if (!sourceMapsWanted(process.env)) process.setSourceMapsEnabled(false);

register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);

// Fulcrum exports metrics through Prometheus and logs through pino: without these defaults NodeSDK
// would also push OTLP metrics and logs that a trace collector (Jaeger) does not accept.
process.env.OTEL_METRICS_EXPORTER ??= "none";
process.env.OTEL_LOGS_EXPORTER ??= "none";

const telemetry = startTelemetry({ serviceName: process.env.OTEL_SERVICE_NAME ?? "fulcrum", env: process.env });
(globalThis as { __fulcrumTelemetry?: Telemetry }).__fulcrumTelemetry = telemetry;
