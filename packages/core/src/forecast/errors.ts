/** Forecaster or predictor options that cannot work (non-positive window, unknown forecaster, …). */
export class ForecastConfigError extends Error {
  override readonly name = "ForecastConfigError";
  /** The offending option's name. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(`${option}: ${message}`, options);
    this.option = option;
  }
}

/** A serialized LSTM (JSON) does not have the expected shape; `path` names the bad field. */
export class LstmWeightsError extends Error {
  override readonly name = "LstmWeightsError";
  /** Dotted path of the first bad field ("" for the whole object). */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(path ? `LSTM weights ${path}: ${message}` : `LSTM weights: ${message}`, options);
    this.path = path;
  }
}

/** Training could not run on the given data (too few samples, non-finite loss, …). */
export class TrainingError extends Error {
  override readonly name = "TrainingError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
