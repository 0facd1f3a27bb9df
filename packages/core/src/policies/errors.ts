import { FulcrumError } from "../errors/index.js";
/** A policy input that cannot describe a pipeline: unknown edge endpoint, cycle, empty stage, bad number. */
export class PolicyInputError extends FulcrumError {
  override readonly name = "PolicyInputError";
  /** The input field that was wrong, e.g. `edges[2]`. */
  readonly field: string;

  constructor(message: string, options: { field: string; cause?: unknown }) {
    super("POLICY_INPUT_INVALID", "invalid-argument", message, { cause: options.cause });
    this.field = options.field;
  }
}

/** A policy config that fails its schema (the service validates at startup; this is the late check). */
export class PolicyConfigError extends FulcrumError {
  override readonly name = "PolicyConfigError";
  readonly policy: string;

  constructor(message: string, options: { policy: string; cause?: unknown }) {
    super("POLICY_CONFIG_INVALID", "invalid-argument", message, { cause: options.cause });
    this.policy = options.policy;
  }
}
