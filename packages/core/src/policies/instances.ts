import { createPerfModel, type SpongeCoefficients } from "../perf/index.js";
import type { Rng } from "../rng/index.js";
import type { PolicyInput, PolicyStage } from "./types.js";

/** Shape of a random pipeline instance. */
export interface RandomInstanceShape {
  readonly stages: number;
  readonly variantsPerStage: number;
  readonly batches: readonly number[];
  readonly coresPerReplica: readonly number[];
  /** Give each variant a fixed base allocation (IPA) drawn from `coresPerReplica`. @default false */
  readonly baseAllocation?: boolean;
  /** Random extra edges on top of the chain, making a DAG. @default false */
  readonly dag?: boolean;
  readonly maxCores: number;
  readonly maxReplicas: number;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;

/**
 * A random pipeline with Sponge-form latency models whose coefficients scale with the variant's
 * accuracy (heavier variants are slower), a load and an SLO drawn so that instances range from easy
 * to infeasible. Used by the property tests and the solver benchmark; deterministic per RNG.
 */
export function randomInstance(rng: Rng, shape: RandomInstanceShape): PolicyInput {
  const perf: Record<string, { fit: SpongeCoefficients }> = {};
  const stages: PolicyStage[] = Array.from({ length: shape.stages }, (_, s) => ({
    name: `s${s}`,
    variants: Array.from({ length: shape.variantsPerStage }, (_, v) => {
      const name = `s${s}v${v}`;
      const heavy = 1 + v + rng.next();
      perf[name] = { fit: { gammaMs: 5 * heavy * (0.5 + rng.next()), deltaMs: heavy * rng.next(), epsilonMs: 10 * heavy * rng.next(), etaMs: 1 + 2 * rng.next() } };
      return {
        name,
        accuracy: Math.min(1, 0.4 + 0.1 * v + 0.1 * rng.next()),
        loadTimeMs: 1000 + 1000 * heavy,
        ...(shape.baseAllocation ? { baseCoresPerReplica: pick(rng, shape.coresPerReplica) } : {}),
      };
    }),
  }));
  const edges: [string, string][] = stages.slice(1).map((st, i) => [stages[i]!.name, st.name]);
  if (shape.dag && shape.stages >= 3) {
    // A skip edge 0 → k creates a second, shorter path: the longest path still binds.
    edges.push([stages[0]!.name, stages[2 + Math.floor(rng.next() * (shape.stages - 2))]!.name]);
  }
  const slo = 10 + rng.next() * 40 * shape.stages;
  return {
    pipeline: "random",
    stages,
    edges,
    perf: createPerfModel(perf),
    forecastRps: Math.round((5 + rng.next() * 150) * 100) / 100,
    sloMs: slo,
    limits: { maxCores: shape.maxCores, batches: shape.batches, coresPerReplica: shape.coresPerReplica, maxReplicas: shape.maxReplicas },
  };
}
