import { context, propagation, type Context } from "@opentelemetry/api";

/** Anything with string get/set by key: NATS `MsgHdrs`, gRPC `Metadata` adapters, plain maps. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/**
 * Writes the given (default: active) context's trace headers (`traceparent`, `tracestate`,
 * baggage) into `carrier` with the globally registered propagator.
 */
export function injectTraceHeaders(carrier: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, { set: (c, k, v) => c.set(k, v) });
}

/** Returns a context whose remote parent is the span described by `carrier`'s trace headers. */
export function extractTraceContext(carrier: HeaderCarrier | undefined, base: Context = context.active()): Context {
  if (!carrier) return base;
  return propagation.extract(base, carrier, {
    get: (c, k) => c.get(k),
    keys: () => ["traceparent", "tracestate", "baggage"],
  });
}
