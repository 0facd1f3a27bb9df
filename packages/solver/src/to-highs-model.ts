import type { LinearModel } from "@fulcrum/core/policies";

/** The structured model HiGHS' persistent API accepts (`highs` ModelData), as plain clonable data. */
export interface HighsModelData {
  readonly numCols: number;
  readonly numRows: number;
  /** HiGHS' native sense: 1 minimize, −1 maximize. */
  readonly sense: 1 | -1;
  readonly offset: number;
  readonly colCost: number[];
  readonly colLower: number[];
  readonly colUpper: number[];
  readonly rowLower: number[];
  readonly rowUpper: number[];
  readonly matrix: { format: "csr"; numRows: number; numCols: number; starts: number[]; indices: number[]; values: number[] };
  readonly integrality: number[];
}

/**
 * Converts core's {@link LinearModel} to HiGHS' row-wise structured model. Structured data (not LP
 * text) avoids the lenient LP parser (docs/architecture.md#highs-model-data) and number formatting entirely.
 * @throws RangeError naming the row when a constraint references a missing variable or repeats one.
 */
export function toHighsModel(model: LinearModel): HighsModelData {
  const starts = [0];
  const indices: number[] = [];
  const values: number[] = [];
  const n = model.variables.length;
  for (const row of model.constraints) {
    if (row.vars.length !== row.coefs.length) throw new RangeError(`constraint "${row.name}": ${row.vars.length} vars but ${row.coefs.length} coefficients`);
    const seen = new Set<number>();
    row.vars.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new RangeError(`constraint "${row.name}" references variable ${v}, model has ${n}`);
      if (seen.has(v)) throw new RangeError(`constraint "${row.name}" repeats variable ${v}`);
      seen.add(v);
      const c = row.coefs[i]!;
      if (c !== 0) {
        indices.push(v);
        values.push(c);
      }
    });
    starts.push(indices.length);
  }
  return {
    numCols: n,
    numRows: model.constraints.length,
    sense: model.sense === "maximize" ? -1 : 1,
    offset: model.objectiveOffset ?? 0,
    colCost: model.variables.map((v) => v.objective),
    colLower: model.variables.map((v) => (v.type === "binary" ? Math.max(0, v.lower) : v.lower)),
    colUpper: model.variables.map((v) => (v.type === "binary" ? Math.min(1, v.upper) : v.upper)),
    rowLower: model.constraints.map((r) => r.lower),
    rowUpper: model.constraints.map((r) => r.upper),
    matrix: { format: "csr", numRows: model.constraints.length, numCols: n, starts, indices, values },
    integrality: model.variables.map((v) => (v.type === "continuous" ? 0 : 1)),
  };
}
