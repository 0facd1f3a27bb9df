/**
 * One simulated request as it travels the pipeline. Plain fields, one object per request: the
 * engine allocates nothing else per request beyond the batcher's own queue entry.
 */
export class SimRequest {
  /** Index of the stage the request is at (or was last at), 0-based. */
  stage = 0;
  /** Product of the accuracies of the variants that served it so far (the pipeline's PAS when done). */
  accuracy = 1;
  constructor(
    /** Arrival order, 0, 1, …. */
    readonly id: number,
    /** Arrival at the gateway, ms from the start of the run. */
    readonly arrivalMs: number,
    /** Absolute deadline, ms from the start of the run. */
    readonly deadlineMs: number,
  ) {}
}
