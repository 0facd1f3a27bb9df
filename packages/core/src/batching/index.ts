/**
 * `@fulcrum/core/batching`: the earliest-deadline-first dynamic batcher shared by the stage
 * (live, wall clock) and the simulator (virtual clock). Pure: `nowMs` is always a parameter.
 */
export { EdfBatcher, PollBuffer } from "./edf-batcher.js";
export type { BatcherCounters, BusyServer, DispatchTrigger, EnqueueOutcome, EnqueueStatus, PollResult, QueuedRequest } from "./edf-batcher.js";
export { compileEdfBatcherOptions, DEFAULT_MAX_QUEUE_DELAY_MS, DEFAULT_MAX_QUEUE_SIZE } from "./options.js";
export type { CompiledEdfBatcherOptions, EdfBatcherOptions, LatencyModel } from "./options.js";
export { BatcherConfigError, InvalidBatchRequestError } from "./errors.js";
export { DeadlineHeap } from "./deadline-heap.js";
export type { HeapItem } from "./deadline-heap.js";
export { LatencyEstimator } from "./latency-estimator.js";
