import { FulcrumError } from "@fulcrum/core";

/** The kit could not start checking (NATS unreachable, bad target); no clause ran. */
export class ConformanceSetupError extends FulcrumError {
  override readonly name = "ConformanceSetupError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFORMANCE_SETUP_FAILED", "unavailable", message, options);
  }
}
