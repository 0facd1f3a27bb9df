import type { CompiledPipeline } from "./pipeline.js";
import type { StageOption } from "./options.js";
import type { LinearModel, ModelConstraint, ModelVariable, SolveStatus, Solver } from "./solver-port.js";

/** What a one-option-per-stage problem needs of an option: its stage bound and its cores. */
export type ChoiceOption = Pick<StageOption, "boundMs" | "totalCores">;

/**
 * A "pick exactly one option per stage" problem (IPA and its baselines; Fulcrum over whole stage
 * configurations).
 */
export interface SingleChoiceProblem<T extends ChoiceOption = StageOption> {
  readonly pipeline: CompiledPipeline;
  /** Candidate options per stage (already pruned). Every list must be non-empty. */
  readonly options: readonly (readonly T[])[];
  /** Objective contribution of each option (maximised). */
  readonly value: (o: T) => number;
  /** Every source→sink path's Σ boundMs must be ≤ this, ms. */
  readonly budgetMs: number;
  /** Σ totalCores over stages must be ≤ this. */
  readonly maxCores: number;
}

/**
 * Builds the MILP. Binaries `x[s,k]` pick one option per stage; continuous finish times `F[s]`
 * carry the DAG's path constraints with one row per edge (`F[t] ≥ F[s] + Σ_k L[t,k]·x[t,k]`), so a
 * DAG with exponentially many paths stays polynomial; `F[s] ≤ budget` bounds every path.
 * Returns the model and the column of each (stage, option).
 */
export function buildSingleChoiceModel<T extends ChoiceOption>(p: SingleChoiceProblem<T>): { model: LinearModel; columns: number[][] } {
  const variables: ModelVariable[] = [];
  const constraints: ModelConstraint[] = [];
  const columns = p.options.map((opts, s) =>
    opts.map((o, k) => variables.push({ name: `x_${s}_${k}`, type: "binary", lower: 0, upper: 1, objective: p.value(o) }) - 1),
  );
  const finish = p.pipeline.names.map((_, s) => variables.push({ name: `F_${s}`, type: "continuous", lower: 0, upper: p.budgetMs, objective: 0 }) - 1);
  p.options.forEach((opts, s) => {
    constraints.push({ name: `one_${s}`, vars: columns[s]!, coefs: opts.map(() => 1), lower: 1, upper: 1 });
    const lat = { vars: columns[s]!, coefs: opts.map((o) => -o.boundMs) };
    const preds = p.pipeline.preds[s]!;
    if (preds.length === 0) {
      constraints.push({ name: `src_${s}`, vars: [finish[s]!, ...lat.vars], coefs: [1, ...lat.coefs], lower: 0, upper: Infinity });
    }
    for (const u of preds) {
      constraints.push({ name: `edge_${u}_${s}`, vars: [finish[s]!, finish[u]!, ...lat.vars], coefs: [1, -1, ...lat.coefs], lower: 0, upper: Infinity });
    }
  });
  constraints.push({
    name: "cores",
    vars: columns.flat(),
    coefs: p.options.flatMap((opts) => opts.map((o) => o.totalCores)),
    lower: -Infinity,
    upper: p.maxCores,
  });
  return { model: { sense: "maximize", variables, constraints }, columns };
}

/** Outcome of {@link solveSingleChoice}. */
export interface SingleChoiceResult<T extends ChoiceOption> {
  readonly status: SolveStatus;
  /** Chosen option per stage; present when a feasible choice was found. */
  readonly choice?: readonly T[];
  readonly solveMs: number;
  readonly message?: string;
}

/** Solves a {@link SingleChoiceProblem} through the Solver port and decodes the choice. */
export async function solveSingleChoice<T extends ChoiceOption>(
  p: SingleChoiceProblem<T>,
  solver: Solver,
  timeLimitMs: number,
): Promise<SingleChoiceResult<T>> {
  const { model, columns } = buildSingleChoiceModel(p);
  const r = await solver.solve(model, { timeLimitMs });
  if (!r.values) return { status: r.status, solveMs: r.solveMs, ...(r.message !== undefined ? { message: r.message } : {}) };
  const values = r.values;
  const choice = p.options.map((opts, s) => {
    let best = 0;
    columns[s]!.forEach((col, k) => {
      if (values[col]! > values[columns[s]![best]!]!) best = k;
    });
    return opts[best]!;
  });
  return { status: r.status, choice, solveMs: r.solveMs };
}
