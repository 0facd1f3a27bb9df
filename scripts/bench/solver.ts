/**
 * `npm run bench -- solver [--reps N]`: decision time of the IPA policy (formulation + HiGHS in its
 * worker), over IPA's scalability grid, and agreement with brute force on enumerable instances.
 */
import { performance } from "node:perf_hooks";
import { createRng } from "@fulcrum/core/rng";
import {
  bruteForceFulcrum, bruteForceSingleChoice, compilePipeline, decideFulcrum, decideIpa, effectiveBudgetMs, fulcrumConfigSchema, fulcrumOptions,
  fulcrumShedPenaltyPerUnit, ipaConfigSchema, ipaCoresFor, ipaOptionValue, randomInstance, stageOptions,
  type PolicyInput, type RandomInstanceShape,
} from "@fulcrum/core/policies";
import { createHighsSolver } from "@fulcrum/solver";

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

export default async function bench(args: string[]): Promise<object> {
  const repsArg = args.indexOf("--reps");
  const reps = repsArg >= 0 ? Number(args[repsArg + 1]) : 5;
  const solver = createHighsSolver();
  const deps = { solver };
  const config = ipaConfigSchema.parse({ costPerCore: 0.01 });
  let solved = 0;
  let timed = 0;
  const time = async (input: PolicyInput): Promise<number> => {
    const t0 = performance.now();
    const d = await decideIpa(input, undefined, config, 0, deps);
    const ms = performance.now() - t0;
    if (d.explanation.fallback?.reason === "solver-time-limit") throw new Error("bench instance hit the time limit");
    timed++;
    if (d.explanation.status === "optimal") solved++;
    return ms;
  };
  const rng = createRng(7);
  // Warm the worker (WASM compile) outside the measurements.
  await time(randomInstance(rng, { stages: 1, variantsPerStage: 1, batches: [1], coresPerReplica: [1], maxCores: 16, maxReplicas: 10 }));

  const ipaShape: RandomInstanceShape = {
    stages: 3, variantsPerStage: 5, batches: [1, 2, 4, 8, 16], coresPerReplica: Array.from({ length: 16 }, (_, i) => i + 1), maxCores: 256, maxReplicas: 100,
  };
  const ipaTimes: number[] = [];
  for (let i = 0; i < Math.max(20, reps * 4); i++) ipaTimes.push(await time({ ...randomInstance(rng, ipaShape), sloMs: 400 }));
  const ipaSizeMedianMs = pct(ipaTimes, 0.5);
  console.log(`ipaSize 3 stages × 5 variants × 5 batches × cores 1–16: median ${ipaSizeMedianMs.toFixed(1)} ms, p99 ${pct(ipaTimes, 0.99).toFixed(1)} ms (${ipaTimes.length} runs)`);

  const grid: { stages: number; variants: number; medianMs: number; p99Ms: number }[] = [];
  for (let stages = 1; stages <= 10; stages++) {
    for (let variants = 1; variants <= 20; variants++) {
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const input = randomInstance(rng, {
          stages, variantsPerStage: variants, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8], baseAllocation: true, maxCores: 64 * stages, maxReplicas: 100,
        });
        times.push(await time({ ...input, sloMs: 150 * stages }));
      }
      grid.push({ stages, variants, medianMs: pct(times, 0.5), p99Ms: pct(times, 0.99) });
    }
    const row = grid.filter((g) => g.stages === stages);
    console.log(`grid stages=${stages}: median ms by variants 1..20 = ${row.map((g) => g.medianMs.toFixed(0)).join(" ")}`);
  }
  console.log(`instances solved to optimality (not fallback): ${solved}/${timed}`);
  const corner = grid.find((g) => g.stages === 10 && g.variants === 20)!;
  console.log(`grid 10 × 20: median ${corner.medianMs.toFixed(1)} ms, p99 ${corner.p99Ms.toFixed(1)} ms`);

  let agree = 0;
  const n = 200;
  for (let i = 0; i < n; i++) {
    const input = randomInstance(rng, {
      stages: 1 + (i % 3), variantsPerStage: 1 + (i % 4), batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4], dag: i % 2 === 0, maxCores: 8 + (i % 40), maxReplicas: 20,
    });
    const pipeline = compilePipeline(input);
    const all = input.stages.map((_, s) => stageOptions(input, s, input.forecastRps, { coresFor: ipaCoresFor(input) }));
    const brute = bruteForceSingleChoice(pipeline, all, (o) => ipaOptionValue(config, o, input.stages.length), input.sloMs, input.limits.maxCores);
    const d = await decideIpa(input, undefined, config, 0, deps);
    const ok = brute ? d.explanation.status === "optimal" && Math.abs(d.explanation.objective! - brute.objective) <= 1e-6 : d.explanation.status === "fallback";
    if (ok) agree++;
  }
  const bruteForceAgreement = agree / n;
  console.log(`bruteForceAgreement ${bruteForceAgreement} (${agree}/${n} enumerable IPA instances)`);
  const fulcrum = await benchFulcrum(rng, deps, reps);
  await solver.close();
  return { ipaSizeMedianMs, grid, bruteForceAgreement, repsPerCell: reps, optimalFraction: solved / timed, fulcrum };
}

/**
 * The `fulcrum` joint policy: decision time (formulation + pruning + HiGHS) at the IPA size with
 * variant sets on a share grid, and agreement with brute force on enumerable instances.
 */
async function benchFulcrum(rng: ReturnType<typeof createRng>, deps: { solver: ReturnType<typeof createHighsSolver> }, reps: number): Promise<object> {
  const sizes: { name: string; shape: RandomInstanceShape; shareUnits: number; sloMs: number }[] = [
    { name: "video", shape: { stages: 2, variantsPerStage: 5, batches: [1, 2, 4, 8], coresPerReplica: [1, 2, 4, 8], maxCores: 64, maxReplicas: 16 }, shareUnits: 10, sloMs: 300 },
    { name: "ipaSize", shape: { stages: 3, variantsPerStage: 5, batches: [1, 2, 4, 8, 16], coresPerReplica: Array.from({ length: 16 }, (_, i) => i + 1), maxCores: 256, maxReplicas: 100 }, shareUnits: 4, sloMs: 400 },
  ];
  const config = (shareUnits: number) => fulcrumConfigSchema.parse({ shareUnits, costPerCore: 0.01 });
  const out: Record<string, number> = {};
  for (const size of sizes) {
    const times: number[] = [];
    let optimal = 0;
    for (let i = 0; i < Math.max(10, reps * 4); i++) {
      const input = { ...randomInstance(rng, size.shape), sloMs: size.sloMs };
      const t0 = performance.now();
      const d = await decideFulcrum(input, undefined, config(size.shareUnits), 0, deps);
      times.push(performance.now() - t0);
      if (d.explanation.status === "optimal") optimal++;
    }
    out[`${size.name}MedianMs`] = pct(times, 0.5);
    out[`${size.name}P99Ms`] = pct(times, 0.99);
    console.log(`fulcrum ${size.name} (${size.shape.stages} stages × ${size.shape.variantsPerStage} variants × ${size.shape.batches.length} batches × ${size.shape.coresPerReplica.length} cores × ${size.shareUnits} share units): median ${pct(times, 0.5).toFixed(1)} ms, p99 ${pct(times, 0.99).toFixed(1)} ms (${times.length} runs, ${optimal} optimal)`);
  }
  let agree = 0;
  const n = 100;
  for (let i = 0; i < n; i++) {
    const stages = 1 + (i % 2);
    const input = randomInstance(rng, { stages, variantsPerStage: 1 + (i % 3), batches: [1, 2], coresPerReplica: [1, 2], maxCores: 2 + (i % 14), maxReplicas: 4 });
    const G = 2 + (i % 2);
    const cfg = config(G);
    const all = input.stages.map((_, s) => fulcrumOptions(input, s, cfg));
    const budgetMs = effectiveBudgetMs(input.sloMs, cfg.sloMarginFraction);
    const brute = bruteForceFulcrum(compilePipeline(input), all, G, budgetMs, input.limits.maxCores);
    const d = await decideFulcrum(input, undefined, cfg, 0, deps);
    const expected = brute && brute.value - (fulcrumShedPenaltyPerUnit(all) * (G - brute.admittedUnits)) / G;
    const ok = expected !== undefined ? d.explanation.status === "optimal" && Math.abs(d.explanation.objective! - expected) <= 1e-6 : d.explanation.status === "fallback";
    if (ok) agree++;
  }
  out.bruteForceAgreement = agree / n;
  console.log(`fulcrum bruteForceAgreement ${agree / n} (${agree}/${n} enumerable instances)`);
  return out;
}
