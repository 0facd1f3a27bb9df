import { BatcherConfigError } from "./errors.js";

/**
 * Predicted service time, in ms, of one batch of `batchSize` requests on the variant and cores
 * currently running (e.g. the profile fit `γ·b/c + δ·b + ε/c + η`). It SHOULD be non-decreasing
 * in `batchSize`; it MUST return a finite value ≥ 0 (anything else throws `BatcherConfigError`).
 */
export type LatencyModel = (batchSize: number) => number;

/**
 * Options of the EDF batcher. Knob names follow Triton's dynamic batcher (`max_batch_size`,
 * `max_queue_delay_microseconds`, `default_queue_policy.max_queue_size`), in ms.
 */
export interface EdfBatcherOptions {
  /** Largest batch dispatched (integer ≥ 1). Triton `max_batch_size`. */
  readonly maxBatchSize: number;
  /** Predicted latency of a batch by size; see {@link LatencyModel}. */
  readonly latencyModel: LatencyModel;
  /**
   * Longest time, in ms, an idle server holds a partial batch for more requests to arrive (≥ 0).
   * `0` is work-conserving: an idle server dispatches whatever is queued at once, and batches form
   * only from what queues while it is busy, so light load pays no batching delay. A positive value
   * (opt-in) trades that latency for fuller batches; `Infinity` waits until the size or deadline
   * trigger. Triton `max_queue_delay_microseconds`.
   * @default 0
   */
  readonly maxQueueDelayMs?: number;
  /**
   * Queue bound: `enqueue` beyond this many queued requests is rejected (integer ≥ 1). Triton
   * `default_queue_policy.max_queue_size`. Lowering it at runtime keeps the requests already queued.
   * @default 1024
   */
  readonly maxQueueSize?: number;
  /**
   * Slack, in ms, added to every predicted finish time (≥ 0): covers latency-model error and the
   * data-plane overhead around inference (decode, copy, reply).
   * @default 0
   */
  readonly safetyMarginMs?: number;
}

/** {@link EdfBatcherOptions} with defaults applied and every value checked. */
export interface CompiledEdfBatcherOptions {
  readonly maxBatchSize: number;
  readonly latencyModel: LatencyModel;
  readonly maxQueueDelayMs: number;
  readonly maxQueueSize: number;
  readonly safetyMarginMs: number;
}

/** Default for {@link EdfBatcherOptions.maxQueueDelayMs}. */
export const DEFAULT_MAX_QUEUE_DELAY_MS = 0;
/** Default for {@link EdfBatcherOptions.maxQueueSize}. */
export const DEFAULT_MAX_QUEUE_SIZE = 1024;

/** Applies defaults and validates; throws {@link BatcherConfigError} naming the first bad option. */
export function compileEdfBatcherOptions(options: EdfBatcherOptions): CompiledEdfBatcherOptions {
  const { maxBatchSize, latencyModel } = options;
  const maxQueueDelayMs = options.maxQueueDelayMs ?? DEFAULT_MAX_QUEUE_DELAY_MS;
  const maxQueueSize = options.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE;
  const safetyMarginMs = options.safetyMarginMs ?? 0;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new BatcherConfigError("maxBatchSize", maxBatchSize, "an integer ≥ 1");
  }
  if (typeof latencyModel !== "function") {
    throw new BatcherConfigError("latencyModel", latencyModel, "a function (batchSize) => ms");
  }
  if (Number.isNaN(maxQueueDelayMs) || maxQueueDelayMs < 0) {
    throw new BatcherConfigError("maxQueueDelayMs", maxQueueDelayMs, "a number ≥ 0 (Infinity allowed)");
  }
  if (!Number.isInteger(maxQueueSize) || maxQueueSize < 1) {
    throw new BatcherConfigError("maxQueueSize", maxQueueSize, "an integer ≥ 1");
  }
  if (!Number.isFinite(safetyMarginMs) || safetyMarginMs < 0) {
    throw new BatcherConfigError("safetyMarginMs", safetyMarginMs, "a finite number ≥ 0");
  }
  return { maxBatchSize, latencyModel, maxQueueDelayMs, maxQueueSize, safetyMarginMs };
}
