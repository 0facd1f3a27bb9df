/**
 * @fulcrum/solver: HiGHS (WASM) behind core's `Solver` port, run in a worker thread with a time limit.
 */
export { createHighsSolver } from "./highs-solver.js";
export type { HighsSolver, HighsSolverOptions } from "./highs-solver.js";
export { SolverClosedError, SolverStartError } from "./errors.js";
export { toHighsModel } from "./to-highs-model.js";
export type { HighsModelData } from "./to-highs-model.js";
