import { diag, DiagConsoleLogger, DiagLogLevel } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Options of {@link startTelemetry}. Everything else comes from the standard `OTEL_*` variables. */
export interface TelemetryOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` is set. */
  readonly serviceName: string;
  /** Environment to read `OTEL_*` from (pass `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Span processors to use instead of the OTLP exporter (tests pass an in-memory one).
   * @default OTLP/HTTP JSON exporter in a batch processor, unless `OTEL_TRACES_EXPORTER=none`
   */
  readonly spanProcessors?: SpanProcessor[];
  /**
   * Auto-instrument `@grpc/grpc-js` (client and server spans, context from gRPC metadata).
   * Under ESM this only works when the process was started with the loader hook
   * (`node --import @fulcrum/runtime/register`), before grpc-js is imported.
   * @default true
   */
  readonly instrumentGrpc?: boolean;
}

/** A started telemetry pipeline. */
export interface Telemetry {
  /** Whether spans are exported (false when `OTEL_SDK_DISABLED=true`). */
  readonly enabled: boolean;
  /** Flushes pending spans and stops exporting; idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing (NodeSDK) for a service. With no collector listening the exporter
 * fails quietly (no diag logger is installed unless `OTEL_LOG_LEVEL` asks for one), so services
 * run the same with or without Jaeger.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const env = options.env;
  if ((env.OTEL_SDK_DISABLED ?? "").toLowerCase() === "true") {
    return { enabled: false, shutdown: async () => {} };
  }
  const level = (env.OTEL_LOG_LEVEL ?? "").toUpperCase() as keyof typeof DiagLogLevel;
  if (level && level in DiagLogLevel) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[level]);

  const exporterName = (env.OTEL_TRACES_EXPORTER ?? "otlp").toLowerCase();
  const spanProcessors =
    options.spanProcessors ?? (exporterName === "none" ? [] : [new BatchSpanProcessor(new OTLPTraceExporter())]);
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME ?? options.serviceName }),
    spanProcessors,
    instrumentations: options.instrumentGrpc === false ? [] : [new GrpcInstrumentation()],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopped ??= sdk.shutdown().catch(() => {});
      return stopped;
    },
  };
}
