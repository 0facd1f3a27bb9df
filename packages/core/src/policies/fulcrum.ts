import { z } from "zod";
import type { VariantAllocation } from "../assignment/index.js";
import { replicasNeeded, stageBoundMs, throughputRps } from "../perf/index.js";
import { effectiveBudgetMs, tightestBudgetMs } from "./budget.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision, stagesOf } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import { ipaAccuracyTerm } from "./ipa.js";
import { searchFulcrum } from "./fulcrum-search.js";
import { compilePipeline, endToEndBoundMs, type CompiledPipeline } from "./pipeline.js";
import type { LinearModel, ModelConstraint, ModelVariable } from "./solver-port.js";
import type { ChosenOption, Explanation, FallbackReason, PolicyDecision, PolicyDeps, PolicyInput, PolicyState } from "./types.js";

/** Fulcrum's joint policy config. Weights are per decision, in objective units. */
export const fulcrumConfigSchema = z.object({
  ...commonConfigShape,
  /** α: weight of the accuracy term (traffic-weighted, aggregated as {@link accuracyAggregation}). @default 1 */
  accuracyWeight: z.number().min(0).default(1),
  /** β: cost per allocated core. @default 0.01 */
  costPerCore: z.number().min(0).default(0.01),
  /** γ: cost per unit of batch size of each active variant (tie-breaker toward small batches). @default 1e-6 */
  costPerBatch: z.number().min(0).default(1e-6),
  /** δ: cost per second of reconfiguration work (see {@link fulcrumSwitchCostMs}). @default 0.001 */
  switchCostPerSecond: z.number().min(0).default(0.001),
  /**
   * Cost of changing the cores of one existing replica in place (a new session with other intra-op
   * threads, built beside the old one), ms. Batch-only changes are free (they apply at the next batch).
   * @default 50
   */
  inPlaceChangeMs: z.number().min(0).default(50),
  /**
   * Start-up of a new replica process, ms, on top of the variant's `loadTimeMs` (cold start): the
   * switch cost of a new replica and the window over which its start-up loss is charged
   * ({@link fulcrumStartShortfallRps}). @default 1000
   */
  replicaStartMs: z.number().min(0).default(1000),
  /** How stage accuracies combine: `log` (Σ log a, the product "PAS"), `sum`, `average`. @default "log" */
  accuracyAggregation: z.enum(["log", "sum", "average"]).default("log"),
  /** G: traffic shares are multiples of 1/G (and so is the admitted fraction under overload). @default 10 */
  shareUnits: z.number().int().min(1).max(100).default(10),
  /**
   * Quantile of the pending requests' remaining budgets that every path must meet (LOW on purpose,
   * the tightest budgets matter; Sponge used the last observed value). @default 0.05
   */
  budgetQuantile: z.number().min(0).max(1).default(0.05),
  /**
   * Rate at which a batch fills: `replica` = the variant's rate split over its replicas (each stage
   * replica batches on its own; conservative), `variant` = the variant's whole rate (IPA's shared
   * stage queue). @default "replica"
   */
  batchFillRate: z.enum(["replica", "variant"]).default("replica"),
  /** At most this many active variants per stage. @default unlimited */
  maxVariantsPerStage: z.number().int().min(1).optional(),
  /**
   * Exact method: `branch-and-bound` (in process: per-stage configuration frontiers, then an exact
   * branch and bound over them, see {@link searchFulcrum}), `milp` (the MILP of
   * {@link buildFulcrumModel} through the Solver port), or `auto` = branch and bound, handing over to
   * the MILP if it hits its node limit. @default "auto"
   */
  method: z.enum(["auto", "milp", "branch-and-bound"]).default("auto"),
  /**
   * Work limit of the branch and bound (stage configurations generated plus search nodes) before
   * `auto` hands over to the MILP. @default 2000000
   */
  branchAndBoundNodeLimit: z.number().int().positive().default(2_000_000),
});
export type FulcrumConfig = z.output<typeof fulcrumConfigSchema>;

/**
 * One candidate of Fulcrum's formulation: variant v of stage s running batch b on c cores per
 * replica and carrying `units`/G of λ̂, with its closed-form replicas, bound, cores, switch cost and
 * objective contribution.
 */
export interface FulcrumOption {
  readonly stage: number;
  /** Index of the variant within its stage. */
  readonly variantIndex: number;
  readonly variant: string;
  readonly batch: number;
  readonly cores: number;
  /** Share of λ̂ carried, in units of 1/G. */
  readonly units: number;
  /** Arrival rate carried: λ̂·units/G, rps. */
  readonly rateRps: number;
  readonly latencyMs: number;
  /** l(b,c) + (b−1)/fill rate, ms. */
  readonly boundMs: number;
  readonly throughputRps: number;
  /** `max(1, ceil(rate/h))`. */
  readonly replicas: number;
  readonly totalCores: number;
  /** Reconfiguration work against the current assignment, ms. */
  readonly switchMs: number;
  /**
   * Rate this option carries that the variant's kept replicas cannot while its added replicas
   * start ({@link fulcrumStartShortfallRps}), rps; 0 when it adds none.
   */
  readonly startShortfallRps: number;
  /** Start-up window of the added replicas, `replicaStartMs + loadTimeMs`, ms; 0 when it adds none. */
  readonly startMs: number;
  /**
   * The start-up loss in objective units: P₀·(startShortfallRps/(λ̂/G))·startMs/1000, the shed
   * penalty per unit P₀ of the options without it, charged for the seconds the shortfall lasts.
   * Part of `value`.
   */
  readonly startupLoss: number;
  /** The variant's accuracy in (0, 1]. */
  readonly accuracy: number;
  /** The accuracy part of `value`: α·(units/G)·term(accuracy). */
  readonly accuracyValue: number;
  /** Objective contribution: α·(units/G)·acc − β·cores − γ·b − δ·switch s − start-up loss. */
  readonly value: number;
  readonly extrapolated: boolean;
}

/**
 * Reconfiguration work of running `(b, c, r)` for a variant currently at `current` (undefined: not
 * running), ms. Replicas kept (`min(r, r0)`) change in place: `inPlaceChangeMs` each if their cores
 * change, nothing for a batch change. Replicas added (`r − min(r, r0)`) are cold starts:
 * `replicaStartMs + loadTimeMs` each. Removing replicas or variants is free.
 */
export function fulcrumSwitchCostMs(
  config: Pick<FulcrumConfig, "inPlaceChangeMs" | "replicaStartMs">,
  loadTimeMs: number,
  current: VariantAllocation | undefined,
  cores: number,
  replicas: number,
): number {
  const r0 = current?.replicas ?? 0;
  const kept = Math.min(replicas, r0);
  const inPlace = current && current.coresPerReplica !== cores ? kept * config.inPlaceChangeMs : 0;
  return inPlace + (replicas - kept) * (config.replicaStartMs + loadTimeMs);
}

/**
 * Rate a variant's option carries that its kept replicas cannot while the replicas it adds start,
 * rps. Growing from r₀ to r > r₀ replicas at (b, c): the r₀ running replicas move to (b, c) in place
 * within `inPlaceChangeMs` and serve at once, the r − r₀ new ones serve only after their cold start,
 * so for that window the variant carries min(rate, r₀·h(b, c)) and loses the rest. 0 when the
 * option adds no replica, and when the variant is not running (r₀ = 0): its share then moves over
 * from the stage's running variants, whose replicas keep serving until it is ready (a rolling
 * replacement, or an in-place retarget built beside the old session).
 */
export function fulcrumStartShortfallRps(current: VariantAllocation | undefined, rateRps: number, replicas: number, throughputRps: number): number {
  const r0 = current?.replicas ?? 0;
  if (r0 === 0 || replicas <= r0) return 0;
  return Math.max(0, rateRps - r0 * throughputRps);
}

/**
 * Every candidate of stage `s` at forecast λ̂ before the start-up loss (`startupLoss` 0), dropping
 * those that need more than `limits.maxReplicas` replicas or `limits.maxCores` cores.
 */
function stageOptions(input: PolicyInput, s: number, config: FulcrumConfig): FulcrumOption[] {
  const stage = input.stages[s]!;
  const G = config.shareUnits;
  const n = input.stages.length;
  const current = input.current?.find((c) => c.stage === stage.name);
  const out: FulcrumOption[] = [];
  stage.variants.forEach((v, vi) => {
    const cur = current?.variants.find((x) => x.variant === v.name);
    const acc = config.accuracyWeight * ipaAccuracyTerm(config.accuracyAggregation, v.accuracy, n);
    for (const batch of input.limits.batches) {
      for (const cores of input.limits.coresPerReplica) {
        const look = input.perf.latency(v.name, batch, cores);
        const h = throughputRps(batch, look.latencyMs);
        for (let units = 1; units <= G; units++) {
          const rateRps = (input.forecastRps * units) / G;
          const replicas = Math.max(1, replicasNeeded(rateRps, h));
          const totalCores = replicas * cores;
          if (replicas > input.limits.maxReplicas || totalCores > input.limits.maxCores) continue;
          const fillRps = config.batchFillRate === "replica" ? rateRps / replicas : rateRps;
          const switchMs = fulcrumSwitchCostMs(config, v.loadTimeMs ?? 0, cur, cores, replicas);
          const startShortfallRps = fulcrumStartShortfallRps(cur, rateRps, replicas, h);
          const accuracyValue = (acc * units) / G;
          out.push({
            stage: s, variantIndex: vi, variant: v.name, batch, cores, units, rateRps,
            latencyMs: look.latencyMs,
            boundMs: stageBoundMs(look.latencyMs, batch, fillRps),
            throughputRps: h, replicas, totalCores, switchMs,
            startShortfallRps, startMs: startShortfallRps > 0 ? config.replicaStartMs + (v.loadTimeMs ?? 0) : 0, startupLoss: 0,
            accuracy: v.accuracy, accuracyValue,
            value: accuracyValue - config.costPerCore * totalCores - config.costPerBatch * batch - (config.switchCostPerSecond * switchMs) / 1000,
            extrapolated: look.outsideMeasuredRange,
          });
        }
      }
    }
  });
  return out;
}

/**
 * Every candidate of every stage at forecast λ̂ (variants × batches × cores × units 1..G), dropping
 * those that need more than `limits.maxReplicas` replicas or `limits.maxCores` cores, each `value`
 * including its start-up loss: P₀·(startShortfallRps/(λ̂/G))·startMs/1000 with P₀ the shed
 * penalty per unit ({@link fulcrumShedPenaltyPerUnit}) of the options without it. The shed term
 * prices each unit of λ̂/G not admitted at P; the start-up loss is the same price for the units the
 * kept replicas cannot carry, per second of the start-up window: requests lost to a cold start cost
 * what shedding them costs. So growth in place (ms) is preferred whenever it carries λ̂, and an
 * option that must add replicas prefers the one keeping the most capacity meanwhile. Shedding
 * stays lexicographically last: the penalty P the caller uses is computed over these values. Not
 * filtered by the latency budget (the caller's formulation decides). `λ̂ = 0` keeps one replica per
 * active variant; a batch > 1 then never fills (infinite bound).
 * @throws PerfModelError for a variant the perf model cannot answer.
 */
export function fulcrumOptions(input: PolicyInput, config: FulcrumConfig): FulcrumOption[][] {
  const G = config.shareUnits;
  const base = input.stages.map((_, s) => stageOptions(input, s, config));
  const P0 = fulcrumShedPenaltyPerUnit(base);
  return base.map((opts) =>
    opts.map((o) => {
      if (o.startShortfallRps === 0) return o;
      const startupLoss = (P0 * ((o.startShortfallRps * G) / input.forecastRps) * o.startMs) / 1000;
      return { ...o, startupLoss, value: o.value - startupLoss };
    }),
  );
}

/**
 * Penalty P per unit of λ̂/G shed: one more than the largest amount by which the rest of the
 * objective can differ between any two selections (each stage picks at most one option per variant,
 * so |Σ value| of one selection is at most R = Σ_s Σ_v max |value|, and two differ by at most 2R).
 * With the shed term −P·(G − A), any selection admitting more units therefore beats any selection
 * admitting fewer: shedding is lexicographically last, used only when nothing carries more.
 */
export function fulcrumShedPenaltyPerUnit(options: readonly (readonly FulcrumOption[])[]): number {
  let range = 0;
  for (const opts of options) {
    const perVariant = new Map<number, number>();
    for (const o of opts) perVariant.set(o.variantIndex, Math.max(perVariant.get(o.variantIndex) ?? 0, Math.abs(o.value)));
    for (const m of perVariant.values()) range += m;
  }
  return 2 * range + 1;
}

/**
 * Keeps, per (variant, units), the options no other option of the same (variant, units) weakly
 * dominates in (value ≥, bound ≤, cores ≤). Exact: the formulation couples a stage's options only
 * through "one option per variant", Σ units, the stage's max bound and Σ cores, all preserved or
 * improved by swapping a dominated option for its dominator.
 */
export function pruneFulcrumOptions(options: readonly FulcrumOption[]): FulcrumOption[] {
  const groups = new Map<string, FulcrumOption[]>();
  for (const o of options) {
    const key = `${o.variantIndex}/${o.units}`;
    const g = groups.get(key);
    if (g) g.push(o);
    else groups.set(key, [o]);
  }
  const kept: FulcrumOption[] = [];
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => b.value - a.value || a.boundMs - b.boundMs || a.totalCores - b.totalCores);
    const mine: FulcrumOption[] = [];
    for (const c of sorted) {
      if (!mine.some((k) => k.value >= c.value && k.boundMs <= c.boundMs && k.totalCores <= c.totalCores)) mine.push(c);
    }
    kept.push(...mine);
  }
  return kept;
}

/** The MILP of {@link decideFulcrum} and the column of every option. */
export interface FulcrumModel {
  readonly model: LinearModel;
  /** Column of each option, per stage, parallel to the options given. */
  readonly columns: readonly (readonly number[])[];
  /** Column of the admitted units A. */
  readonly admittedColumn: number;
  readonly shedPenaltyPerUnit: number;
}

/**
 * Builds Fulcrum's MILP over already budget-filtered options (every option's bound ≤ budget).
 * `shedPenaltyPerUnit` P comes from {@link fulcrumShedPenaltyPerUnit} over the UNfiltered options.
 * Binaries z[s,o]; integer A ∈ [1, G] (admitted units); continuous stage bounds B[s] and finish
 * times F[s]. Rows: Σ_o units·z = A per stage; Σ z ≤ 1 per (stage, variant); B[s] ≥ Σ_{o of v}
 * bound·z per (stage, variant) (one option per variant, so that sum is the chosen one's bound);
 * F[s] ≥ B[s] at sources and F[t] ≥ F[u] + B[t] per edge, F ≤ budget; Σ cores·z ≤ maxCores;
 * optionally Σ z ≤ maxVariantsPerStage. Objective: Σ value·z + P·A − P·G (the shed term −P·(G − A)).
 */
export function buildFulcrumModel(
  pipeline: CompiledPipeline,
  options: readonly (readonly FulcrumOption[])[],
  units: number,
  budgetMs: number,
  maxCores: number,
  shedPenaltyPerUnit: number,
  maxVariantsPerStage?: number,
): FulcrumModel {
  const P = shedPenaltyPerUnit;
  const vars: ModelVariable[] = [];
  const rows: ModelConstraint[] = [];
  const columns = options.map((opts, s) =>
    opts.map((o, k) => vars.push({ name: `z_${s}_${k}`, type: "binary", lower: 0, upper: 1, objective: o.value }) - 1),
  );
  const admitted = vars.push({ name: "A", type: "integer", lower: 1, upper: units, objective: P }) - 1;
  const bound = options.map((_, s) => vars.push({ name: `B_${s}`, type: "continuous", lower: 0, upper: budgetMs, objective: 0 }) - 1);
  const finish = options.map((_, s) => vars.push({ name: `F_${s}`, type: "continuous", lower: 0, upper: budgetMs, objective: 0 }) - 1);
  options.forEach((opts, s) => {
    rows.push({ name: `units_${s}`, vars: [...columns[s]!, admitted], coefs: [...opts.map((o) => o.units), -1], lower: 0, upper: 0 });
    const byVariant = new Map<number, number[]>();
    opts.forEach((o, k) => byVariant.set(o.variantIndex, [...(byVariant.get(o.variantIndex) ?? []), k]));
    for (const [v, ks] of byVariant) {
      rows.push({ name: `one_${s}_${v}`, vars: ks.map((k) => columns[s]![k]!), coefs: ks.map(() => 1), lower: -Infinity, upper: 1 });
      rows.push({ name: `bound_${s}_${v}`, vars: [bound[s]!, ...ks.map((k) => columns[s]![k]!)], coefs: [1, ...ks.map((k) => -opts[k]!.boundMs)], lower: 0, upper: Infinity });
    }
    if (maxVariantsPerStage !== undefined) {
      rows.push({ name: `active_${s}`, vars: columns[s]!, coefs: opts.map(() => 1), lower: -Infinity, upper: maxVariantsPerStage });
    }
    const preds = pipeline.preds[s]!;
    if (preds.length === 0) rows.push({ name: `src_${s}`, vars: [finish[s]!, bound[s]!], coefs: [1, -1], lower: 0, upper: Infinity });
    for (const u of preds) rows.push({ name: `edge_${u}_${s}`, vars: [finish[s]!, finish[u]!, bound[s]!], coefs: [1, -1, -1], lower: 0, upper: Infinity });
  });
  rows.push({ name: "cores", vars: columns.flat(), coefs: options.flatMap((opts) => opts.map((o) => o.totalCores)), lower: -Infinity, upper: maxCores });
  return { model: { sense: "maximize", objectiveOffset: -P * units, variables: vars, constraints: rows }, columns, admittedColumn: admitted, shedPenaltyPerUnit: P };
}

/**
 * The objective and terms of a selection (per stage, the chosen options), as {@link decideFulcrum}
 * reports them: Σ value + shed term, where the shed term is −P·(G − A).
 */
export function fulcrumObjective(
  selection: readonly (readonly FulcrumOption[])[],
  config: FulcrumConfig,
  shedPenaltyPerUnit: number,
): { objective: number; admittedUnits: number; terms: Record<string, number> } {
  const G = config.shareUnits;
  const all = selection.flat();
  const admittedUnits = selection[0]?.reduce((s, o) => s + o.units, 0) ?? 0;
  const terms = {
    accuracy: all.reduce((s, o) => s + o.accuracyValue, 0),
    cores: -config.costPerCore * all.reduce((s, o) => s + o.totalCores, 0),
    batch: -config.costPerBatch * all.reduce((s, o) => s + o.batch, 0),
    switch: (-config.switchCostPerSecond * all.reduce((s, o) => s + o.switchMs, 0)) / 1000,
    startup: -all.reduce((s, o) => s + o.startupLoss, 0),
    shed: admittedUnits >= G ? 0 : -shedPenaltyPerUnit * (G - admittedUnits),
  };
  // Σ value is the objective proper (the terms above re-derive it for the explanation).
  const objective = all.reduce((s, o) => s + o.value, 0) + terms.shed;
  return { objective, admittedUnits, terms };
}

/** A solved selection, or why there is none (`detail` is absent for `infeasible`: the caller words it). */
type FulcrumSolved =
  | { readonly selection: FulcrumOption[][]; readonly method: "milp" | "branch-and-bound"; readonly solveMs?: number; readonly timeLimited: boolean }
  | { readonly reason: FallbackReason; readonly detail?: string; readonly method: "milp" | "branch-and-bound"; readonly solveMs?: number };

/**
 * Solves Fulcrum's problem over budget-filtered, pruned options with the configured method: the
 * in-process exact search first (unless `milp`), the MILP through the Solver port when `milp` is
 * configured or `auto` hits the search's node limit.
 */
async function solveFulcrum(
  pipeline: CompiledPipeline,
  options: FulcrumOption[][],
  budgetMs: number,
  maxCores: number,
  shedPenaltyPerUnit: number,
  config: FulcrumConfig,
  deps: PolicyDeps,
): Promise<FulcrumSolved> {
  const G = config.shareUnits;
  if (config.method !== "milp") {
    const r = searchFulcrum({
      pipeline, options, units: G, budgetMs, maxCores, nodeLimit: config.branchAndBoundNodeLimit,
      ...(config.maxVariantsPerStage !== undefined ? { maxVariantsPerStage: config.maxVariantsPerStage } : {}),
    });
    if (r.status === "optimal") return { selection: r.selection!.map((sel) => [...sel]), method: "branch-and-bound", timeLimited: false };
    if (r.status === "infeasible") return { reason: "infeasible", method: "branch-and-bound" };
    if (config.method === "branch-and-bound") return { reason: "solver-time-limit", detail: `node limit ${config.branchAndBoundNodeLimit} reached`, method: "branch-and-bound" };
  }
  const built = buildFulcrumModel(pipeline, options, G, budgetMs, maxCores, shedPenaltyPerUnit, config.maxVariantsPerStage);
  const r = await deps.solver.solve(built.model, { timeLimitMs: config.solveTimeLimitMs });
  if (!r.values) {
    const reason: FallbackReason = r.status === "infeasible" ? "infeasible" : r.status === "time-limit" ? "solver-time-limit" : "solver-error";
    return { reason, ...(reason === "infeasible" ? {} : { detail: r.message ?? r.status }), method: "milp", solveMs: r.solveMs };
  }
  const values = r.values;
  const selection = options.map((opts, s) => opts.filter((_, k) => values[built.columns[s]![k]!]! > 0.5));
  const units = selection.map((sel) => sel.reduce((a, o) => a + o.units, 0));
  if (units.some((u) => u !== units[0] || u < 1)) {
    return { reason: "solver-error", detail: `solver returned inconsistent shares (units per stage ${units.join(", ")})`, method: "milp", solveMs: r.solveMs };
  }
  return { selection, method: "milp", solveMs: r.solveMs, timeLimited: r.status === "time-limit" };
}

/**
 * Fulcrum's joint policy: the union of InfAdapter, IPA and Sponge over a DAG, solved exactly.
 *
 * **Decides**, per stage s: a SET of variants, and for each active variant v its traffic share
 * w ∈ {1/G, …, 1}, batch b, cores per replica c (changed in place) and replicas r.
 *
 * **Formulation.** Candidates o = (v, b, c, u) with u ∈ 1..G units of λ̂/G. Given o, everything
 * else is closed form: rate λ_o = λ̂·u/G, replicas r_o = max(1, ⌈λ_o / h_v(b,c)⌉), cores c·r_o,
 * bound L_o = l_v(b,c) + (b−1)/λ_fill with λ_fill = λ_o/r_o (`batchFillRate: replica`) or λ_o.
 * Binaries z_o; integer A ∈ [1, G] = admitted units. Maximise
 *   Σ_o z_o·[ α·(u/G)·acc(a_v) − β·c·r_o − γ·b − δ·switch_o/1000 − loss_o ] − P·(G − A)
 * subject to, per stage: Σ_o u·z_o = A (every stage carries the admitted traffic, shares sum to
 * A/G of λ̂, reported normalised to 1); at most one (b, c, u) per variant; B_s ≥ L_o for the chosen
 * options; per DAG path Σ_s B_s ≤ budget (finish-time rows per edge); Σ cores ≤ Cmax; optionally
 * at most K variants per stage. Budget = min(SLO, `budgetQuantile` of pending per-request
 * budgets) less `sloMarginFraction`.
 *
 * **Accuracy** is the expectation over requests of Σ_s acc(a): each request takes one variant per
 * stage, variant v with probability w_v, so E[Σ log a] = Σ_s Σ_v w_v·log a_v: the product "PAS" in
 * expectation, linear in the shares.
 *
 * **Switch costs** ({@link fulcrumSwitchCostMs}): keeping a replica and changing its cores in place is
 * cheap (`inPlaceChangeMs`), a batch change is free, each new replica is a cold start
 * (`replicaStartMs + loadTimeMs`). So among equally good configurations the one reusing running
 * replicas wins, and a new replica must pay for itself.
 *
 * **Start-up loss** ({@link fulcrumOptions}, {@link fulcrumStartShortfallRps}): while added
 * replicas start, only the kept ones serve (at their new cores: in-place changes take ms), so an
 * option that grows a running variant from r₀ to r replicas loses max(0, λ_o − r₀·h) for
 * `replicaStartMs + loadTimeMs`; it is charged at the shed penalty per unit P₀ of the options
 * without it, P₀·(shortfall/(λ̂/G))·start s. Growing cores in place is chosen whenever it carries
 * λ̂ (as Sponge argues); when it cannot, the stage still scales out (shedding remains
 * lexicographically last), keeping as much capacity as it can through the start. The loss is
 * one-off while the cores it saves recur, and one decision does not see past itself: a replica
 * grown in place stays large until the load falls, since spreading its load over new, smaller
 * replicas would lose load again while they start.
 *
 * **Overload.** The shed penalty P ({@link fulcrumShedPenaltyPerUnit}) exceeds any possible
 * difference in the rest of the objective, so the optimum first admits as much traffic as any
 * configuration can carry (degrading to cheaper, faster variants, smaller shares of heavy ones) and
 * only then optimises accuracy and cost; A < G happens only when even the cheapest configuration
 * cannot carry λ̂ within Cmax and the budget. The data plane realises the shed (early
 * DEADLINE_EXCEEDED, queue bounds); the explanation reports `admittedFraction`.
 *
 * **Assumptions.** Each request visits every stage (the entry rate reaches all of them); the gateway
 * splits a stage's traffic by the shares and a variant's traffic evenly over its replicas; latency
 * per batch follows the perf model (measured points or Sponge's fit); the bound is a worst case per
 * stage (max over the stage's active variants), so every path bound holds for every mix of
 * variants a request may take; a replica re-targeted to another variant counts as a cold start
 * (conservative: the stage reuses the process); shares are on the 1/G grid (finer G, larger MILP).
 *
 * **Exactness.** Options dominated within their (variant, units) group are pruned
 * ({@link pruneFulcrumOptions}), options over the budget dropped. The rest is solved exactly by
 * `method`: the in-process decomposition ({@link searchFulcrum}: per-stage Pareto frontiers of
 * whole stage configurations, then a branch and bound over one configuration per stage, A = G
 * first), or the MILP ({@link buildFulcrumModel}) through the Solver port; `auto` hands over to the
 * MILP when the search hits its node limit. Both are checked against brute-force enumeration on
 * small instances and against each other. No feasible A ≥ 1: the maximum-capacity fallback with a
 * reason. Scale-down hysteresis as for every policy.
 */
export async function decideFulcrum(input: PolicyInput, prev: PolicyState | undefined, config: FulcrumConfig, _nowMs: number, deps: PolicyDeps): Promise<PolicyDecision> {
  const pending = tightestBudgetMs(input.budgets, config.budgetQuantile);
  const budgetMs = effectiveBudgetMs(input.sloMs, config.sloMarginFraction, pending);
  const preMethod = config.method === "milp" ? "milp" : "branch-and-bound";
  const fail = (reason: FallbackReason, detail: string, method: Explanation["method"], solveMs?: number): PolicyDecision =>
    fallbackDecision("fulcrum", input, reason, detail, method, undefined, { budgetMs, ...(solveMs !== undefined ? { solveMs } : {}) });
  let pipeline: CompiledPipeline;
  let all: FulcrumOption[][];
  try {
    pipeline = compilePipeline(input);
    all = fulcrumOptions(input, config);
  } catch (err) {
    return fail("invalid-input", (err as Error).message, preMethod);
  }
  const G = config.shareUnits;
  for (const [s, opts] of all.entries()) {
    const name = input.stages[s]!.name;
    if (opts.length === 0) {
      return fail("capacity-exceeded", `stage "${name}": no variant carries even 1/${G} of ${input.forecastRps} rps within ${input.limits.maxReplicas} replicas and ${input.limits.maxCores} cores`, preMethod);
    }
    const fastest = Math.min(...opts.map((o) => o.boundMs));
    if (fastest > budgetMs) return fail("latency-unreachable", `stage "${name}": fastest bound ${fastest.toFixed(1)} ms exceeds the ${budgetMs.toFixed(1)} ms budget`, preMethod);
  }
  const P = fulcrumShedPenaltyPerUnit(all);
  const options = all.map((opts) => pruneFulcrumOptions(opts.filter((o) => o.boundMs <= budgetMs)));
  const infeasibleDetail = `no configuration carries even 1/${G} of ${input.forecastRps} rps on every path within ${budgetMs.toFixed(1)} ms and ${input.limits.maxCores} cores`;
  const solved = await solveFulcrum(pipeline, options, budgetMs, input.limits.maxCores, P, config, deps);
  if ("reason" in solved) {
    return fail(solved.reason, solved.detail ?? infeasibleDetail, solved.method, solved.solveMs);
  }
  const { selection, method, solveMs } = solved;
  const { objective, admittedUnits, terms } = fulcrumObjective(selection, config, P);
  const chosen: ChosenOption[] = selection.flatMap((sel) =>
    sel.map((o) => ({
      stage: input.stages[o.stage]!.name, variant: o.variant, weight: o.units / admittedUnits, batch: o.batch, coresPerReplica: o.cores,
      replicas: o.replicas, latencyMs: o.latencyMs, boundMs: o.boundMs, throughputRps: o.throughputRps, extrapolated: o.extrapolated,
    })),
  );
  const proposal = stagesOf(input, chosen);
  const guarded = applyScaleDownHysteresis(input, proposal, prev, config.scaleDownDelayIntervals);
  const admittedFraction = admittedUnits / G;
  const notes: string[] = [];
  if (admittedUnits < G) notes.push(`overload: admits ${(100 * admittedFraction).toFixed(0)}% of ${input.forecastRps} rps; no configuration carries more within the budget and ${input.limits.maxCores} cores`);
  if (pending !== undefined) notes.push(`tightest pending budget (q=${config.budgetQuantile}) ${pending.toFixed(1)} ms`);
  if (solved.timeLimited) notes.push("time limit reached: best incumbent, optimality not proved");
  return {
    stages: guarded.stages,
    state: guarded.state,
    explanation: {
      policy: "fulcrum",
      status: guarded.held ? "held" : "optimal",
      method,
      objective,
      terms,
      chosen,
      endToEndBoundMs: endToEndBoundMs(pipeline, selection.map((sel) => Math.max(...sel.map((o) => o.boundMs)))),
      budgetMs,
      ...(solveMs !== undefined ? { solveMs } : {}),
      admittedFraction,
      ...(notes.length > 0 ? { notes } : {}),
    },
  };
}
