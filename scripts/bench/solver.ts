/**
 * `npm run bench -- solver [--reps N] [--instances N]`: decision time of the exact policies, each
 * figure with the method that produced it (`milp` = formulation + HiGHS in its worker thread,
 * `branch-and-bound` = the in-process exact search), and agreement with brute force on enumerable
 * instances.
 *
 * - `ipaSizeHighs` / `ipaSizeBranchAndBound`: the IPA policy on the same seeded IPA-size instances,
 *   once per method.
 * - `grid`: IPA (method `auto`) over IPA's scalability grid, `--reps` instances per cell.
 * - `fulcrumIpaSize` / `fulcrumVideo`: the `fulcrum` joint policy (method `auto`) on `--instances`
 *   (≥ 100 for a p99) seeded instances, and the MILP on the same instances (`…Milp`) for comparison.
 *
 * Every tail is a max unless it has ≥ 100 samples (then a p99 as well). Decisions are timed
 * end to end (options, pruning, solve); the HiGHS worker and the JIT are warmed up first on
 * instances that are not measured.
 */
import { performance } from "node:perf_hooks";
import { createRng, type Rng } from "@fulcrum/core/rng";
import { quantile } from "@fulcrum/core/stats";
import {
  bruteForceFulcrum, bruteForceSingleChoice, compilePipeline, decideFulcrum, decideIpa, effectiveBudgetMs, fulcrumConfigSchema, fulcrumOptions,
  fulcrumShedPenaltyPerUnit, ipaConfigSchema, ipaCoresFor, ipaOptionValue, pruneFulcrumOptions, randomInstance, searchFulcrum, stageOptions,
  type FulcrumConfig, type IpaConfig, type PolicyDecision, type PolicyDeps, type PolicyInput, type RandomInstanceShape,
} from "@fulcrum/core/policies";
import { createHighsSolver } from "@fulcrum/solver";

/** IPA's size: 3 stages × 5 variants × 5 batches × cores 1–16. */
const IPA_SHAPE: RandomInstanceShape = {
  stages: 3, variantsPerStage: 5, batches: [1, 2, 4, 8, 16], coresPerReplica: Array.from({ length: 16 }, (_, i) => i + 1), maxCores: 256, maxReplicas: 100,
};
const VIDEO_SHAPE: RandomInstanceShape = { stages: 2, variantsPerStage: 5, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8], maxCores: 64, maxReplicas: 16 };
const shapeText = (s: RandomInstanceShape): string => `${s.stages} stages × ${s.variantsPerStage} variants × ${s.batches.length} batches × ${s.coresPerReplica.length} cores`;

/** Decision times of one method on a set of instances. */
interface Timed {
  /** The method the decisions report (`explanation.method`); `mixed` if they differ, see `methods`. */
  readonly method: string;
  readonly methods: Record<string, number>;
  readonly samples: number;
  readonly medianMs: number;
  readonly maxMs: number;
  /** Only with ≥ 100 samples. */
  readonly p99Ms?: number;
  /** Decisions proved optimal (a time-limited incumbent is not). */
  readonly optimal: number;
  /** Decisions where the MILP hit its time limit (an unproved incumbent, or a fallback). */
  readonly timeLimited: number;
  /** Fallbacks by reason. */
  readonly fallbacks: Record<string, number>;
}

/** The solver stopped at its time limit: a fallback, or an incumbent the explanation notes as unproved. */
const hitTimeLimit = (d: PolicyDecision): boolean =>
  d.explanation.fallback?.reason === "solver-time-limit" || (d.explanation.notes ?? []).some((n) => n.startsWith("time limit reached"));

/** How many of `items` have each key (undefined keys are skipped). */
function countBy<T>(items: readonly T[], key: (x: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) {
    const k = key(x);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function summarize(times: readonly number[], decisions: readonly PolicyDecision[]): Timed {
  const methods = countBy(decisions, (d) => d.explanation.method);
  const fallbacks = countBy(decisions, (d) => d.explanation.fallback?.reason);
  const names = Object.keys(methods);
  return {
    method: names.length === 1 ? names[0]! : "mixed",
    methods,
    samples: times.length,
    medianMs: quantile(times, 0.5),
    maxMs: Math.max(...times),
    ...(times.length >= 100 ? { p99Ms: quantile(times, 0.99) } : {}),
    optimal: decisions.filter((d) => d.explanation.status === "optimal" && !hitTimeLimit(d)).length,
    timeLimited: decisions.filter(hitTimeLimit).length,
    fallbacks,
  };
}

const tailText = (t: Timed): string =>
  `median ${t.medianMs.toFixed(1)} ms, ${t.p99Ms !== undefined ? `p99 ${t.p99Ms.toFixed(1)} ms, ` : ""}max ${t.maxMs.toFixed(1)} ms (${t.samples} instances, ${t.optimal} proved optimal${t.timeLimited > 0 ? `, ${t.timeLimited} stopped by the time limit` : ""}${Object.keys(t.fallbacks).length > 0 ? `, fallbacks ${JSON.stringify(t.fallbacks)}` : ""})`;
const methodText = (t: Timed): string => (t.method === "mixed" ? `methods ${JSON.stringify(t.methods)}` : `method ${t.method}`);

async function timeDecision(decide: () => Promise<PolicyDecision>): Promise<{ ms: number; d: PolicyDecision }> {
  const t0 = performance.now();
  const d = await decide();
  return { ms: performance.now() - t0, d };
}

/** Same outcome: both optimal with objectives within 1e-6, or both fallback for the same reason. */
const agree = (a: PolicyDecision, b: PolicyDecision): boolean =>
  a.explanation.status === b.explanation.status &&
  (a.explanation.status === "optimal" ? Math.abs(a.explanation.objective! - b.explanation.objective!) <= 1e-6 : a.explanation.fallback?.reason === b.explanation.fallback?.reason);

const option = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer ≥ 1, got ${args[i + 1]}`);
  return v;
};

export default async function bench(args: string[]): Promise<object> {
  const reps = option(args, "--reps", 5);
  const instances = option(args, "--instances", 100);
  const solver = createHighsSolver();
  const deps: PolicyDeps = { solver };
  try {
    await warmUp(deps);
    const ipa = await benchIpaSize(deps, Math.max(20, reps * 8));
    const grid = await benchGrid(deps, reps);
    const bruteForce = await ipaBruteForce(deps);
    const fulcrumIpaSize = await benchFulcrum(deps, "fulcrumIpaSize", IPA_SHAPE, 4, 400, instances, createRng(1402));
    const fulcrumVideo = await benchFulcrum(deps, "fulcrumVideo", VIDEO_SHAPE, 10, 300, instances, createRng(1403));
    const fulcrumBruteForce = await fulcrumBruteForceAgreement(deps);
    return { ...ipa, ...grid, ...bruteForce, ...fulcrumIpaSize, ...fulcrumVideo, ...fulcrumBruteForce };
  } finally {
    await solver.close();
  }
}

/** Compiles HiGHS' WASM in its worker and lets the JIT see both exact methods of both policies. */
async function warmUp(deps: PolicyDeps): Promise<void> {
  const rng = createRng(1);
  for (let i = 0; i < 5; i++) {
    const input = { ...randomInstance(rng, IPA_SHAPE), sloMs: 400 };
    for (const method of ["milp", "branch-and-bound"] as const) {
      await decideIpa(input, undefined, ipaConfigSchema.parse({ costPerCore: 0.01, method }), 0, deps);
      await decideFulcrum(input, undefined, fulcrumConfigSchema.parse({ shareUnits: 4, costPerCore: 0.01, method }), 0, deps);
    }
  }
}

async function benchIpaSize(deps: PolicyDeps, n: number): Promise<object> {
  const rng = createRng(14);
  const config = (method: IpaConfig["method"]): IpaConfig => ipaConfigSchema.parse({ costPerCore: 0.01, method });
  const runs = { milp: { times: [] as number[], ds: [] as PolicyDecision[] }, bb: { times: [] as number[], ds: [] as PolicyDecision[] } };
  let agreed = 0;
  let compared = 0;
  for (let i = 0; i < n; i++) {
    const input = { ...randomInstance(rng, IPA_SHAPE), sloMs: 400 };
    const m = await timeDecision(() => decideIpa(input, undefined, config("milp"), 0, deps));
    const b = await timeDecision(() => decideIpa(input, undefined, config("branch-and-bound"), 0, deps));
    runs.milp.times.push(m.ms);
    runs.milp.ds.push(m.d);
    runs.bb.times.push(b.ms);
    runs.bb.ds.push(b.d);
    if (!hitTimeLimit(m.d)) {
      compared++;
      if (agree(m.d, b.d)) agreed++;
    }
  }
  const ipaSizeHighs = summarize(runs.milp.times, runs.milp.ds);
  const ipaSizeBranchAndBound = summarize(runs.bb.times, runs.bb.ds);
  console.log(`ipaSizeHighs (ipa, ${methodText(ipaSizeHighs)}: formulation + HiGHS in its worker, ${shapeText(IPA_SHAPE)}, SLO 400 ms): ${tailText(ipaSizeHighs)}`);
  console.log(`ipaSizeBranchAndBound (ipa, ${methodText(ipaSizeBranchAndBound)}: in-process exact search, same instances): ${tailText(ipaSizeBranchAndBound)}`);
  console.log(`ipaSizeMethodAgreement ${agreed / compared} (${agreed}/${compared} instances the MILP solved within its time limit: same status, objectives within 1e-6)`);
  return { ipaSizeHighs, ipaSizeBranchAndBound, ipaSizeMethodAgreement: agreed / compared };
}

async function benchGrid(deps: PolicyDeps, reps: number): Promise<object> {
  const rng = createRng(7);
  const config = ipaConfigSchema.parse({ costPerCore: 0.01 });
  const grid: ({ stages: number; variants: number } & Timed)[] = [];
  for (let stages = 1; stages <= 10; stages++) {
    for (let variants = 1; variants <= 20; variants++) {
      const times: number[] = [];
      const ds: PolicyDecision[] = [];
      for (let r = 0; r < reps; r++) {
        const input = randomInstance(rng, {
          stages, variantsPerStage: variants, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8], baseAllocation: true, maxCores: 64 * stages, maxReplicas: 100,
        });
        const t = await timeDecision(() => decideIpa({ ...input, sloMs: 150 * stages }, undefined, config, 0, deps));
        times.push(t.ms);
        ds.push(t.d);
      }
      grid.push({ stages, variants, ...summarize(times, ds) });
    }
    const row = grid.filter((g) => g.stages === stages);
    console.log(`grid stages=${stages} (ipa, method auto, ${reps} instances per cell): median ms by variants 1..20 = ${row.map((g) => g.medianMs.toFixed(1)).join(" ")}`);
  }
  const methods: Record<string, number> = {};
  for (const g of grid) for (const [m, c] of Object.entries(g.methods)) methods[m] = (methods[m] ?? 0) + c;
  const timed = grid.reduce((s, g) => s + g.samples, 0);
  const optimal = grid.reduce((s, g) => s + g.optimal, 0);
  console.log(`grid methods used ${JSON.stringify(methods)}; solved to optimality (not fallback) ${optimal}/${timed}`);
  const corner = grid.find((g) => g.stages === 10 && g.variants === 20)!;
  console.log(`gridCorner 10 stages × 20 variants (${methodText(corner)}): median ${corner.medianMs.toFixed(1)} ms, max ${corner.maxMs.toFixed(1)} ms (${corner.samples} instances)`);
  return { grid, gridMethods: methods, repsPerCell: reps, gridOptimalFraction: optimal / timed };
}

async function ipaBruteForce(deps: PolicyDeps): Promise<object> {
  const rng = createRng(1401);
  const config = ipaConfigSchema.parse({ costPerCore: 0.01 });
  let agreed = 0;
  const ds: PolicyDecision[] = [];
  const n = 200;
  for (let i = 0; i < n; i++) {
    const input = randomInstance(rng, {
      stages: 1 + (i % 3), variantsPerStage: 1 + (i % 4), batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4], dag: i % 2 === 0, maxCores: 8 + (i % 40), maxReplicas: 20,
    });
    const pipeline = compilePipeline(input);
    const all = input.stages.map((_, s) => stageOptions(input, s, input.forecastRps, { coresFor: ipaCoresFor(input) }));
    const brute = bruteForceSingleChoice(pipeline, all, (o) => ipaOptionValue(config, o, input.stages.length), input.sloMs, input.limits.maxCores);
    const d = await decideIpa(input, undefined, config, 0, deps);
    ds.push(d);
    const ok = brute ? d.explanation.status === "optimal" && Math.abs(d.explanation.objective! - brute.objective) <= 1e-6 : d.explanation.status === "fallback";
    if (ok) agreed++;
  }
  const methods = countBy(ds, (d) => d.explanation.method);
  console.log(`bruteForceAgreement ${agreed / n} (ipa, methods ${JSON.stringify(methods)}; ${agreed}/${n} enumerable instances)`);
  return { bruteForceAgreement: agreed / n, bruteForceMethods: methods };
}

/**
 * The `fulcrum` policy (method `auto`) and its MILP on the same seeded instances, their agreement,
 * and the size of the exact search: options per stage, left after pruning, and the work of
 * {@link searchFulcrum} (partial stage configurations generated, branch-and-bound nodes).
 */
async function benchFulcrum(deps: PolicyDeps, name: string, shape: RandomInstanceShape, shareUnits: number, sloMs: number, n: number, rng: Rng): Promise<object> {
  const config = (method: FulcrumConfig["method"]): FulcrumConfig => fulcrumConfigSchema.parse({ shareUnits, costPerCore: 0.01, method });
  const auto = { times: [] as number[], ds: [] as PolicyDecision[] };
  const milp = { times: [] as number[], ds: [] as PolicyDecision[] };
  const size = { options: [] as number[], pruned: [] as number[], generated: [] as number[], nodes: [] as number[] };
  let agreed = 0;
  let compared = 0;
  for (let i = 0; i < n; i++) {
    const input: PolicyInput = { ...randomInstance(rng, shape), sloMs };
    const a = await timeDecision(() => decideFulcrum(input, undefined, config("auto"), 0, deps));
    const m = await timeDecision(() => decideFulcrum(input, undefined, config("milp"), 0, deps));
    auto.times.push(a.ms);
    auto.ds.push(a.d);
    milp.times.push(m.ms);
    milp.ds.push(m.d);
    // A MILP stopped by its time limit proves nothing either way.
    if (!hitTimeLimit(m.d)) {
      compared++;
      if (agree(a.d, m.d)) agreed++;
    }
    const cfg = config("auto");
    const budgetMs = effectiveBudgetMs(sloMs, cfg.sloMarginFraction);
    const all = fulcrumOptions(input, cfg);
    const pruned = all.map((opts) => pruneFulcrumOptions(opts.filter((o) => o.boundMs <= budgetMs)));
    const r = searchFulcrum({ pipeline: compilePipeline(input), options: pruned, units: shareUnits, budgetMs, maxCores: input.limits.maxCores, nodeLimit: cfg.branchAndBoundNodeLimit });
    size.options.push(all.reduce((s, o) => s + o.length, 0) / all.length);
    size.pruned.push(pruned.reduce((s, o) => s + o.length, 0) / pruned.length);
    size.generated.push(r.generated);
    size.nodes.push(r.nodes);
  }
  const head = `${name} (fulcrum, ${shapeText(shape)} × ${shareUnits} share units, SLO ${sloMs} ms`;
  const timed = summarize(auto.times, auto.ds);
  const before = summarize(milp.times, milp.ds);
  const search = {
    optionsPerStage: quantile(size.options, 0.5), prunedOptionsPerStage: quantile(size.pruned, 0.5),
    configurationsGenerated: quantile(size.generated, 0.5), branchAndBoundNodes: quantile(size.nodes, 0.5),
  };
  console.log(`${head}, ${methodText(timed)}): ${tailText(timed)}`);
  console.log(`${name}Milp (the MILP alone, same instances, ${methodText(before)}): ${tailText(before)}`);
  console.log(`${name}MethodAgreement ${agreed / compared} (${agreed}/${compared} instances the MILP solved within its time limit)`);
  console.log(`${name}Search medians per instance: ${search.optionsPerStage} options per stage, ${search.prunedOptionsPerStage.toFixed(0)} after pruning, ${search.configurationsGenerated} partial stage configurations generated, ${search.branchAndBoundNodes} branch-and-bound nodes`);
  return { [name]: { ...timed, shareUnits, sloMs }, [`${name}Milp`]: before, [`${name}MethodAgreement`]: agreed / compared, [`${name}Search`]: search };
}

async function fulcrumBruteForceAgreement(deps: PolicyDeps): Promise<object> {
  const out: Record<string, number> = {};
  const n = 100;
  for (const method of ["branch-and-bound", "milp"] as const) {
    const rng = createRng(1404);
    let agreed = 0;
    for (let i = 0; i < n; i++) {
      const input = randomInstance(rng, { stages: 1 + (i % 2), variantsPerStage: 1 + (i % 3), batches: [1, 2], coresPerReplica: [1, 2], maxCores: 2 + (i % 14), maxReplicas: 4 });
      const G = 2 + (i % 2);
      const cfg = fulcrumConfigSchema.parse({ shareUnits: G, costPerCore: 0.01, method });
      const all = fulcrumOptions(input, cfg);
      const budgetMs = effectiveBudgetMs(input.sloMs, cfg.sloMarginFraction);
      const brute = bruteForceFulcrum(compilePipeline(input), all, G, budgetMs, input.limits.maxCores);
      const d = await decideFulcrum(input, undefined, cfg, 0, deps);
      const expected = brute && brute.value - fulcrumShedPenaltyPerUnit(all) * (G - brute.admittedUnits);
      const ok = expected !== undefined
        ? d.explanation.status === "optimal" && d.explanation.method === method && Math.abs(d.explanation.objective! - expected) <= 1e-6
        : d.explanation.status === "fallback";
      if (ok) agreed++;
    }
    out[method === "milp" ? "milp" : "branchAndBound"] = agreed / n;
    console.log(`fulcrumBruteForceAgreement ${agreed / n} (method ${method}; ${agreed}/${n} enumerable instances)`);
  }
  return { fulcrumBruteForceAgreement: { ...out, samples: n } };
}
