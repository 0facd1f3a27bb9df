import { FulcrumError } from "@fulcrum/core";
/** The HiGHS worker could not be started (WASM load failure, missing package). */
export class SolverStartError extends FulcrumError {
  override readonly name = "SolverStartError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super("SOLVER_START_FAILED", "internal", message, { cause: options.cause });
  }
}

/** A solve was requested after {@link HighsSolver.close}. */
export class SolverClosedError extends FulcrumError {
  override readonly name = "SolverClosedError";

  constructor(options: { cause?: unknown } = {}) {
    super("SOLVER_CLOSED", "unavailable", "solver is closed", { cause: options.cause });
  }
}
