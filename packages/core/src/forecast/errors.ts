import { FulcrumError } from "../errors/index.js";
/** Forecaster or predictor options that cannot work (non-positive window, unknown forecaster, …). */
export class ForecastConfigError extends FulcrumError {
  override readonly name = "ForecastConfigError";
  /** The offending option's name. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super("FORECAST_CONFIG_INVALID", "invalid-argument", `${option}: ${message}`, options);
    this.option = option;
  }
}

/** A serialized LSTM (JSON) does not have the expected shape; `path` names the bad field. */
export class LstmWeightsError extends FulcrumError {
  override readonly name = "LstmWeightsError";
  /** Dotted path of the first bad field ("" for the whole object). */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super("LSTM_WEIGHTS_INVALID", "invalid-argument", path ? `LSTM weights ${path}: ${message}` : `LSTM weights: ${message}`, options);
    this.path = path;
  }
}

/** Training could not run on the given data (too few samples, non-finite loss, …). */
export class TrainingError extends FulcrumError {
  override readonly name = "TrainingError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("TRAINING_FAILED", "failed-precondition", message, options);
  }
}
