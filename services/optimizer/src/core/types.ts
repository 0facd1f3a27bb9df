/** A forecast of the next interval's load, as the optimizer uses it. */
export interface ForecastInput {
  readonly pipeline: string;
  /** When the predictor made it, Unix ms. */
  readonly createdAtMs: number;
  /** The forecast covers (created, created + horizon], s. */
  readonly horizonS: number;
  /** Point forecast of the peak per-second load, rps. */
  readonly peakRps: number;
  /** Upper bound (point + conformal margin), rps; absent when the predictor gave none. */
  readonly upperRps?: number;
  /** Target coverage of `upperRps` in [0, 1]; absent when unknown. */
  readonly coverage?: number;
  /** Forecaster name (`lstm`, `ewma`, …). */
  readonly model: string;
}

/** One per-second load sample of the pipeline. */
export interface LoadInput {
  readonly pipeline: string;
  /** Start of the window, Unix ms. */
  readonly timestampMs: number;
  /** Arrivals normalised to rps. */
  readonly arrivalsRps: number;
  readonly windowMs: number;
  /** 10th percentile of remaining per-request budgets, ms; absent when unknown. */
  readonly budgetP10Ms?: number;
  /** Median remaining per-request budget, ms; absent when unknown. */
  readonly budgetP50Ms?: number;
}

/** A stage instance's answer to an Assignment version. */
export interface AckInput {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  readonly version: number;
  readonly applied: boolean;
  /** Receipt → new configuration serving, ms. */
  readonly applyMs: number;
  readonly appliedAtMs: number;
  /** Why it was not applied (only when `applied` is false). */
  readonly error?: string;
}
