/**
 * Transport-neutral error kinds. Core and services throw subclasses of {@link FulcrumError};
 * only the edges (gRPC handlers, NATS responders) turn `kind` into a wire status code.
 */
export const ERROR_KINDS = [
  "invalid-argument",
  "not-found",
  "deadline-exceeded",
  "resource-exhausted",
  "unavailable",
  "failed-precondition",
  "internal",
] as const;

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Base of every Fulcrum error. `code` is stable and machine-readable (`QUEUE_FULL`, `CONFIG_INVALID`…):
 * once published it keeps its meaning, so operators and clients may match on it. `kind` says how an
 * edge reports it (gRPC status, REST status, NATS ack); only edges translate it. Each package keeps
 * its subclasses in one `errors.ts`; the codes are listed in `docs/architecture.md` (Errors).
 */
export class FulcrumError extends Error {
  override name = "FulcrumError";
  constructor(
    /** Stable machine-readable code, UPPER_SNAKE_CASE. */
    readonly code: string,
    /** How the edge should report it (INVALID_ARGUMENT, DEADLINE_EXCEEDED, …). */
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request or configuration value is malformed; `field` names what was wrong. */
export class InvalidArgumentError extends FulcrumError {
  override name = "InvalidArgumentError";
  constructor(
    /** Path of the offending field, e.g. `inputs[0].shape`. */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("INVALID_ARGUMENT", "invalid-argument", `${field}: ${message}`, options);
  }
}

/** A named thing (model, variant, pipeline, stage) does not exist. */
export class NotFoundError extends FulcrumError {
  override name = "NotFoundError";
  constructor(
    /** What kind of thing was looked up (`model`, `variant`, …). */
    readonly what: string,
    /** The name that was not found. */
    readonly key: string,
    options?: { cause?: unknown; known?: readonly string[] },
  ) {
    const known = options?.known && options.known.length > 0 ? ` (known: ${options.known.join(", ")})` : "";
    super("NOT_FOUND", "not-found", `unknown ${what} "${key}"${known}`, options);
  }
}
