import { z } from "zod";
import { throughputRps } from "../perf/index.js";
import { effectiveBudgetMs } from "./budget.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import { compilePipeline } from "./pipeline.js";
import type { LinearModel, ModelConstraint, ModelVariable } from "./solver-port.js";
import type { ChosenOption, PolicyDecision, PolicyDeps, PolicyInput, PolicyState, PolicyVariant } from "./types.js";

/** InfAdapter's config (docs/architecture.md#infadapter; defaults from its starter.py). */
export const infAdapterConfigSchema = z.object({
  ...commonConfigShape,
  /** α: weight of the normalised core cost Σcores/Cmax. @default 0.05 */
  costWeight: z.number().min(0).default(0.05),
  /** β: weight of the normalised switch (load-time) cost. @default 0.001 */
  switchWeight: z.number().min(0).default(0.001),
  /** Minimum cores of an active variant. @default 2 */
  minCoresPerVariant: z.number().int().min(1).default(2),
  /**
   * Capacity derating: a variant's capacity is `derate · h(1, c)` (InfAdapter used 0.8 plus an
   * intercept hack; we keep the principled part). @default 0.8
   */
  capacityDerate: z.number().gt(0).max(1).default(0.8),
  /** At most this many active variants (1 gives a single-variant policy). @default unlimited */
  maxActiveVariants: z.number().int().min(1).optional(),
});
export type InfAdapterConfig = z.output<typeof infAdapterConfigSchema>;

/** Capacity (rps) of one replica of `v` with `cores` cores at batch 1, 0 if l(1,c) misses the budget. */
export function infAdapterCapacityRps(input: PolicyInput, v: PolicyVariant, cores: number, config: InfAdapterConfig, budgetMs: number): number {
  const l = input.perf.latency(v.name, 1, cores).latencyMs;
  return l <= budgetMs ? config.capacityDerate * throughputRps(1, l) : 0;
}

/** The objective value and shares of a given cores vector (0 = inactive); `undefined` if it cannot carry λ̂. */
export function infAdapterEvaluate(
  variants: readonly PolicyVariant[],
  cores: readonly number[],
  capacity: (v: number, c: number) => number,
  lambdaRps: number,
  maxCores: number,
  prevCores: readonly number[],
  config: InfAdapterConfig,
): { objective: number; shares: number[]; terms: Record<string, number> } | undefined {
  const totalCores = cores.reduce((a, b) => a + b, 0);
  if (totalCores > maxCores) return undefined;
  const caps = cores.map((c, v) => (c > 0 ? capacity(v, c) : 0));
  if (caps.reduce((a, b) => a + b, 0) < lambdaRps - 1e-9) return undefined;
  // Given the cores, the accuracy-optimal split is the greedy fill, most accurate first (InfAdapter's rl/l chain).
  const shares = new Array<number>(variants.length).fill(0);
  let left = lambdaRps;
  const byAcc = variants.map((_, i) => i).sort((a, b) => variants[b]!.accuracy - variants[a]!.accuracy);
  for (const i of byAcc) {
    const take = Math.min(caps[i]!, left);
    shares[i] = lambdaRps > 0 ? take / lambdaRps : 0;
    left -= take;
  }
  const accuracy = shares.reduce((s, w, i) => s + w * variants[i]!.accuracy, 0);
  const maxLoad = Math.max(...variants.map((v) => v.loadTimeMs ?? 0));
  const loadCost = Math.max(0, ...variants.map((v, i) => (cores[i]! !== 0 && cores[i]! !== prevCores[i]! ? v.loadTimeMs ?? 0 : 0)));
  const terms = { accuracy, cores: (-config.costWeight * totalCores) / maxCores, switch: maxLoad > 0 ? (-config.switchWeight * loadCost) / maxLoad : 0 };
  return { objective: terms.accuracy + terms.cores + terms.switch, shares, terms };
}

/**
 * InfAdapter: one stage served by a SET of variants, one replica each with `c_v` cores, traffic split
 * by shares. max Σ share·a − α·Σc/Cmax − β·(max load time of changed variants)/max load time, with
 * Σ capacity ≥ λ̂, Σ c ≤ Cmax and c_v ≥ the minimum for an active variant. MILP: binaries y[v,c]
 * (variant v gets c cores), continuous loads l_v ≤ Σ cap(v,c)·y[v,c] with Σ l_v = λ̂, and LC ≥
 * loadtime_v·(Σ_{c ≠ prev_v} y[v,c]). The split is then recomputed as the greedy fill (optimal for
 * the chosen cores), so shares sum to 1 and the objective is exact.
 */
export async function decideInfAdapter(input: PolicyInput, prev: PolicyState | undefined, config: InfAdapterConfig, _nowMs: number, deps: PolicyDeps): Promise<PolicyDecision> {
  const budgetMs = effectiveBudgetMs(input.sloMs, config.sloMarginFraction);
  const fail = (reason: Parameters<typeof fallbackDecision>[2], detail: string, solveMs?: number): PolicyDecision =>
    fallbackDecision("infadapter", input, reason, detail, "milp", undefined, { budgetMs, ...(solveMs !== undefined ? { solveMs } : {}) });
  try {
    compilePipeline(input);
  } catch (err) {
    return fail("invalid-input", (err as Error).message);
  }
  if (input.stages.length !== 1) return fail("invalid-input", `infadapter decides one stage, got ${input.stages.length}`);
  const stage = input.stages[0]!;
  const variants = stage.variants;
  const maxCores = input.limits.maxCores;
  const lambda = Math.max(input.forecastRps, 1e-9);
  const coreGrid = Array.from({ length: Math.max(0, maxCores - config.minCoresPerVariant + 1) }, (_, i) => i + config.minCoresPerVariant);
  let cap: number[][];
  try {
    cap = variants.map((v) => coreGrid.map((c) => infAdapterCapacityRps(input, v, c, config, budgetMs)));
  } catch (err) {
    return fail("invalid-input", (err as Error).message);
  }
  const cur = input.current?.find((s) => s.stage === stage.name);
  const prevCores = variants.map((v) => cur?.variants.find((x) => x.variant === v.name)?.coresPerReplica ?? 0);
  const maxLoad = Math.max(...variants.map((v) => v.loadTimeMs ?? 0));

  const vars: ModelVariable[] = [];
  const rows: ModelConstraint[] = [];
  const y = variants.map((_, v) => coreGrid.map((c) => vars.push({ name: `y_${v}_${c}`, type: "binary", lower: 0, upper: cap[v]![c - config.minCoresPerVariant]! > 0 ? 1 : 0, objective: (-config.costWeight * c) / maxCores }) - 1));
  const load = variants.map((v, i) => vars.push({ name: `l_${i}`, type: "continuous", lower: 0, upper: Infinity, objective: v.accuracy / lambda }) - 1);
  const lc = vars.push({ name: "LC", type: "continuous", lower: 0, upper: Infinity, objective: maxLoad > 0 ? -config.switchWeight / maxLoad : 0 }) - 1;
  variants.forEach((v, i) => {
    rows.push({ name: `one_${i}`, vars: y[i]!, coefs: y[i]!.map(() => 1), lower: -Infinity, upper: 1 });
    rows.push({ name: `cap_${i}`, vars: [load[i]!, ...y[i]!], coefs: [1, ...cap[i]!.map((k) => -k)], lower: -Infinity, upper: 0 });
    const changed = coreGrid.map((c, k) => (c !== prevCores[i] ? y[i]![k]! : -1)).filter((k) => k >= 0);
    if ((v.loadTimeMs ?? 0) > 0 && changed.length > 0) {
      rows.push({ name: `lc_${i}`, vars: [lc, ...changed], coefs: [1, ...changed.map(() => -(v.loadTimeMs ?? 0))], lower: 0, upper: Infinity });
    }
  });
  rows.push({ name: "demand", vars: load, coefs: load.map(() => 1), lower: lambda, upper: lambda });
  rows.push({ name: "cores", vars: y.flat(), coefs: y.flatMap((ys) => coreGrid.slice(0, ys.length)), lower: -Infinity, upper: maxCores });
  if (config.maxActiveVariants !== undefined) rows.push({ name: "active", vars: y.flat(), coefs: y.flat().map(() => 1), lower: -Infinity, upper: config.maxActiveVariants });
  const model: LinearModel = { sense: "maximize", variables: vars, constraints: rows };
  const r = await deps.solver.solve(model, { timeLimitMs: config.solveTimeLimitMs });
  if (!r.values) {
    const reason = r.status === "infeasible" ? "capacity-exceeded" : r.status === "time-limit" ? "solver-time-limit" : "solver-error";
    return fail(reason, r.status === "infeasible" ? `no variant set carries ${input.forecastRps} rps within ${maxCores} cores at ${budgetMs.toFixed(1)} ms` : (r.message ?? r.status), r.solveMs);
  }
  const values = r.values;
  const cores = y.map((ys) => {
    const k = ys.findIndex((col) => values[col]! > 0.5);
    return k < 0 ? 0 : coreGrid[k]!;
  });
  const capacity = (v: number, c: number): number => cap[v]![c - config.minCoresPerVariant]!;
  const ev = infAdapterEvaluate(variants, cores, capacity, input.forecastRps, maxCores, prevCores, config);
  if (!ev) return fail("solver-error", "solver returned a cores vector that does not carry the load");
  const chosen: ChosenOption[] = [];
  variants.forEach((v, i) => {
    if (cores[i] === 0 || ev.shares[i]! <= 0) return;
    const l = input.perf.latency(v.name, 1, cores[i]!).latencyMs;
    chosen.push({ stage: stage.name, variant: v.name, weight: ev.shares[i]!, batch: 1, coresPerReplica: cores[i]!, replicas: 1, latencyMs: l, boundMs: l, throughputRps: throughputRps(1, l), extrapolated: input.perf.latency(v.name, 1, cores[i]!).outsideMeasuredRange });
  });
  const proposal = [{ stage: stage.name, variants: chosen.map((c) => ({ variant: c.variant, weight: c.weight, batch: 1, coresPerReplica: c.coresPerReplica, replicas: 1 })) }];
  const guarded = applyScaleDownHysteresis(input, proposal, prev, config.scaleDownDelayIntervals);
  const idle = cores.some((c, i) => c > 0 && ev.shares[i]! <= 0);
  return {
    stages: guarded.stages,
    state: guarded.state,
    explanation: {
      policy: "infadapter", status: guarded.held ? "held" : "optimal", method: "milp",
      objective: ev.objective, terms: ev.terms, chosen, budgetMs, solveMs: r.solveMs,
      endToEndBoundMs: Math.max(0, ...chosen.map((c) => c.boundMs)),
      ...(idle ? { notes: ["a variant with cores but no share was dropped from the assignment"] } : {}),
    },
  };
}
