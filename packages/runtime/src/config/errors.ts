import { FulcrumError } from "@fulcrum/core";
/** One problem found while loading configuration. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `grpcPort` or `batcher.maxQueueSize`. */
  readonly key: string;
  /** Where the value came from: `env FULCRUM_STAGE_GRPC_PORT`, `file stage.yaml`, or `default`. */
  readonly source: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** Configuration is invalid. The message lists every problem at once, one per line. */
export class ConfigError extends FulcrumError {
  override readonly name = "ConfigError";
  constructor(
    /** The service whose configuration failed. */
    readonly service: string,
    /** Every problem found. */
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super("CONFIG_INVALID", "invalid-argument", 
      `invalid ${service} configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${i.key} (${i.source}): ${i.message}`).join("\n"),
      options,
    );
  }
}
