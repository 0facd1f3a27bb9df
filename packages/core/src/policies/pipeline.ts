import { PolicyInputError } from "./errors.js";
import type { PolicyInput } from "./types.js";

/** The pipeline DAG by stage index, validated once per decision. */
export interface CompiledPipeline {
  readonly names: readonly string[];
  /** Predecessors of each stage (indices). */
  readonly preds: readonly (readonly number[])[];
  /** A topological order of stage indices. */
  readonly order: readonly number[];
}

/**
 * Validates the stages and edges of an input and compiles them to indices.
 * @throws PolicyInputError naming the field: duplicate stage, stage without variants, unknown edge
 * endpoint, self loop or cycle, non-positive SLO, negative or non-finite forecast.
 */
export function compilePipeline(input: PolicyInput): CompiledPipeline {
  if (input.stages.length === 0) throw new PolicyInputError("pipeline has no stages", { field: "stages" });
  if (!(input.sloMs > 0)) throw new PolicyInputError(`sloMs must be > 0, got ${input.sloMs}`, { field: "sloMs" });
  if (!(input.forecastRps >= 0) || !Number.isFinite(input.forecastRps)) {
    throw new PolicyInputError(`forecastRps must be a finite number ≥ 0, got ${input.forecastRps}`, { field: "forecastRps" });
  }
  if (!(input.limits.maxCores >= 1)) throw new PolicyInputError(`limits.maxCores must be ≥ 1, got ${input.limits.maxCores}`, { field: "limits.maxCores" });
  for (const [field, list] of [["limits.batches", input.limits.batches], ["limits.coresPerReplica", input.limits.coresPerReplica]] as const) {
    if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new PolicyInputError(`${field} must be a non-empty list of integers ≥ 1, got [${list.join(", ")}]`, { field });
    }
  }
  const index = new Map<string, number>();
  input.stages.forEach((s, i) => {
    if (index.has(s.name)) throw new PolicyInputError(`duplicate stage "${s.name}"`, { field: `stages[${i}].name` });
    if (s.variants.length === 0) throw new PolicyInputError(`stage "${s.name}" has no variants`, { field: `stages[${i}].variants` });
    s.variants.forEach((v, j) => {
      if (!(v.accuracy > 0 && v.accuracy <= 1)) {
        throw new PolicyInputError(`variant "${v.name}" accuracy must be in (0, 1], got ${v.accuracy}`, { field: `stages[${i}].variants[${j}].accuracy` });
      }
    });
    index.set(s.name, i);
  });
  const n = input.stages.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  const edges = input.edges ?? input.stages.slice(1).map((s, i) => [input.stages[i]!.name, s.name] as const);
  edges.forEach(([from, to], e) => {
    const f = index.get(from);
    const t = index.get(to);
    if (f === undefined || t === undefined) {
      throw new PolicyInputError(`edge ${from} → ${to} names an unknown stage`, { field: `edges[${e}]` });
    }
    if (f === t) throw new PolicyInputError(`edge ${from} → ${to} is a self loop`, { field: `edges[${e}]` });
    if (!preds[t]!.includes(f)) preds[t]!.push(f);
  });
  const indeg = preds.map((p) => p.length);
  const succ: number[][] = Array.from({ length: n }, () => []);
  preds.forEach((ps, t) => ps.forEach((f) => succ[f]!.push(t)));
  const order: number[] = [];
  const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
  while (ready.length > 0) {
    const s = ready.shift()!;
    order.push(s);
    for (const t of succ[s]!) if (--indeg[t]! === 0) ready.push(t);
  }
  if (order.length !== n) throw new PolicyInputError("edges contain a cycle", { field: "edges" });
  return { names: input.stages.map((s) => s.name), preds, order };
}

/** Longest source→sink sum of per-stage bounds (the end-to-end latency bound), ms. */
export function endToEndBoundMs(p: CompiledPipeline, stageBoundMs: readonly number[]): number {
  const finish = new Array<number>(p.names.length).fill(0);
  let worst = 0;
  for (const s of p.order) {
    const start = p.preds[s]!.reduce((m, u) => Math.max(m, finish[u]!), 0);
    finish[s] = start + stageBoundMs[s]!;
    worst = Math.max(worst, finish[s]!);
  }
  return worst;
}

/** Every source→sink path as a list of stage indices (for brute force and small DAGs). */
export function allPaths(p: CompiledPipeline): number[][] {
  const n = p.names.length;
  const hasSucc = new Array<boolean>(n).fill(false);
  p.preds.forEach((ps) => ps.forEach((u) => (hasSucc[u] = true)));
  const out: number[][] = [];
  const walk = (s: number, suffix: number[]): void => {
    const path = [s, ...suffix];
    if (p.preds[s]!.length === 0) out.push(path);
    for (const u of p.preds[s]!) walk(u, path);
  };
  for (let s = 0; s < n; s++) if (!hasSucc[s]) walk(s, []);
  return out;
}
