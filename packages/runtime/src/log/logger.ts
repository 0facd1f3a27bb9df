import { trace } from "@opentelemetry/api";
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/** Options of {@link createLogger}. */
export interface LoggerSettings {
  /** Service name, set as the `service` field of every line. */
  readonly service: string;
  /**
   * Minimum level (`trace`…`fatal`, or `silent`).
   * @default "info"
   */
  readonly level?: string;
  /** Extra fields on every line (instance id, pipeline, stage…). */
  readonly base?: Readonly<Record<string, unknown>>;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logger (pino). Each line carries the active span's `trace_id` and `span_id`, so
 * logs join traces in Jaeger without any call-site work.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: { service: settings.service, ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
