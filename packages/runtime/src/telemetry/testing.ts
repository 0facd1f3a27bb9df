import { context, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

let installed: InMemorySpanExporter | undefined;

/**
 * Installs a global tracer provider that records spans in memory, with W3C propagation and an
 * async-hooks context manager; returns the exporter to read finished spans from. Idempotent per process.
 * For tests only.
 */
export function installInMemoryTracing(): InMemorySpanExporter {
  if (installed) return installed;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  installed = exporter;
  return exporter;
}
