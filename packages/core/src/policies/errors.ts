/** A policy input that cannot describe a pipeline: unknown edge endpoint, cycle, empty stage, bad number. */
export class PolicyInputError extends Error {
  override readonly name = "PolicyInputError";
  /** The input field that was wrong, e.g. `edges[2]`. */
  readonly field: string;

  constructor(message: string, options: { field: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.field = options.field;
  }
}

/** A policy config that fails its schema (the service validates at startup; this is the late check). */
export class PolicyConfigError extends Error {
  override readonly name = "PolicyConfigError";
  readonly policy: string;

  constructor(message: string, options: { policy: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.policy = options.policy;
  }
}
