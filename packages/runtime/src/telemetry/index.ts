export type { HeaderCarrier } from "./trace-headers.js";
export { extractTraceContext, injectTraceHeaders } from "./trace-headers.js";
export type { Telemetry, TelemetryOptions } from "./telemetry.js";
export { startTelemetry } from "./telemetry.js";
export { preloadedTelemetry } from "./preloaded.js";
export { sourceMapsWanted } from "./source-maps.js";
export { installInMemoryTracing } from "./testing.js";
export type { OtlpReceiverHandle, OtlpReceiverOptions, ReceivedSpan } from "./otlp-receiver.js";
export { startOtlpReceiver } from "./otlp-receiver.js";
