import { FulcrumError } from "../errors/index.js";
/**
 * A batcher option (at construction or in `reconfigure`) or a latency-model value is invalid.
 * `option` names the offending key; the message says what was expected.
 */
export class BatcherConfigError extends FulcrumError {
  override readonly name = "BatcherConfigError";
  /** The option that was wrong, e.g. `maxBatchSize` or `latencyModel`. */
  readonly option: string;
  /** The rejected value. */
  readonly value: unknown;

  constructor(option: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super("BATCHER_CONFIG_INVALID", "invalid-argument", `invalid batcher option ${option}=${String(value)}: expected ${expected}`, options);
    this.option = option;
    this.value = value;
  }
}

/** A request handed to `enqueue` is malformed (e.g. a NaN deadline). The batcher state is unchanged. */
export class InvalidBatchRequestError extends FulcrumError {
  override readonly name = "InvalidBatchRequestError";
  /** The field that was wrong, e.g. `deadlineMs`. */
  readonly field: string;
  /** The rejected value. */
  readonly value: unknown;

  constructor(field: string, value: unknown, expected: string, options?: { cause?: unknown }) {
    super("BATCH_REQUEST_INVALID", "invalid-argument", `invalid request ${field}=${String(value)}: expected ${expected}`, options);
    this.field = field;
    this.value = value;
  }
}
