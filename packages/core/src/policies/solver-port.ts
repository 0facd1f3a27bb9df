/**
 * The port through which policies reach a MILP solver (docs/architecture.md#policies). Core builds a {@link LinearModel};
 * an adapter (`@fulcrum/solver`, HiGHS off the main thread) solves it. Infeasible and time-limited
 * solves are results, never exceptions.
 */

/** One decision variable. */
export interface ModelVariable {
  /** Unique, for debugging and LP export (`[A-Za-z_][A-Za-z0-9_]*`). */
  readonly name: string;
  readonly type: "continuous" | "integer" | "binary";
  /** Lower bound; `-Infinity` for none. Binaries are clamped to [0, 1] by the adapter. */
  readonly lower: number;
  /** Upper bound; `Infinity` for none. */
  readonly upper: number;
  /** Objective coefficient. */
  readonly objective: number;
}

/** One linear row `lower ≤ Σ coefs[i]·x[vars[i]] ≤ upper`. */
export interface ModelConstraint {
  readonly name: string;
  /** Variable indices into {@link LinearModel.variables}; no duplicates. */
  readonly vars: readonly number[];
  readonly coefs: readonly number[];
  /** `-Infinity` for none. */
  readonly lower: number;
  /** `Infinity` for none. */
  readonly upper: number;
}

/** A mixed-integer linear program. */
export interface LinearModel {
  readonly sense: "maximize" | "minimize";
  /** Constant added to the objective. @default 0 */
  readonly objectiveOffset?: number;
  readonly variables: readonly ModelVariable[];
  readonly constraints: readonly ModelConstraint[];
}

/** Solve limits. */
export interface SolveOptions {
  /** Wall-clock limit for the solve, ms. The adapter returns `time-limit` when it is hit. */
  readonly timeLimitMs: number;
}

/**
 * `optimal`: proved optimal. `infeasible`: proved infeasible. `time-limit`: stopped by the limit
 * (`values` holds the incumbent if one was found). `unbounded` and `error` (bad model, solver crash)
 * carry a `message`.
 */
export type SolveStatus = "optimal" | "infeasible" | "time-limit" | "unbounded" | "error";

/** What a solve returns. */
export interface SolveResult {
  readonly status: SolveStatus;
  /** Objective including the offset; present when `values` is. */
  readonly objective?: number;
  /** Variable values in model order; present for `optimal`, and for `time-limit` with an incumbent. */
  readonly values?: readonly number[];
  /** Wall-clock solve time measured by the adapter, ms. */
  readonly solveMs: number;
  readonly message?: string;
}

/** The solver port. Implementations MUST NOT throw for infeasible/time-limited models. */
export interface Solver {
  solve(model: LinearModel, options: SolveOptions): Promise<SolveResult>;
}
