import type { Telemetry } from "./telemetry.js";

/** The telemetry started by the `@fulcrum/runtime/register` preload, if the process used it. */
export function preloadedTelemetry(): Telemetry | undefined {
  return (globalThis as { __fulcrumTelemetry?: Telemetry }).__fulcrumTelemetry;
}
