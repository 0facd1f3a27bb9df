/** The HiGHS worker could not be started (WASM load failure, missing package). */
export class SolverStartError extends Error {
  override readonly name = "SolverStartError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}

/** A solve was requested after {@link HighsSolver.close}. */
export class SolverClosedError extends Error {
  override readonly name = "SolverClosedError";

  constructor(options: { cause?: unknown } = {}) {
    super("solver is closed", { cause: options.cause });
  }
}
