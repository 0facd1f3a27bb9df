import { compilePredictorConfig } from "@fulcrum/core/forecast";
import { createPerfModel, type SpongeCoefficients } from "@fulcrum/core/perf";
import type { Solver } from "@fulcrum/core/policies";
import type { Scenario } from "../scenario.js";
import { perfServiceTime } from "../service-time.js";

/** A solver for scenarios whose policies never call one (static, vpa, sponge…): fails loudly if used. */
export const NO_SOLVER: Solver = {
  solve: () => Promise.reject(new Error("this scenario's policy must not call the solver")),
};

/** A one-variant-per-stage scenario with `l(b,c) = fit` and sensible defaults; override anything. */
export function scenarioOf(fits: Readonly<Record<string, SpongeCoefficients>>, overrides: Partial<Scenario> = {}): Scenario {
  const perf = createPerfModel(Object.fromEntries(Object.entries(fits).map(([v, fit]) => [v, { fit }])));
  const names = Object.keys(fits);
  return {
    label: "test",
    pipeline: "p",
    stages: names.map((v, i) => ({ name: `s${i}`, variants: [{ name: v, accuracy: 0.5 }] })),
    sloMs: 100,
    workload: { kind: "explicit", requests: [], durationS: 1 },
    planning: perf,
    service: perfServiceTime({ median: perf }),
    policy: { name: "static", config: {} },
    limits: { maxCores: 8, batches: [1, 2], coresPerReplica: [1], maxReplicas: 4 },
    control: { intervalMs: 1000, firstDecisionMs: 1000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({}), value: "point", marginFraction: 0, tickMs: 1000, observedFloorMs: 0 } },
    actuation: { mode: "in-place", replicaStartMs: 0, warmupMs: 0, inPlaceChangeMs: 0 },
    replica: { maxQueueDelayMs: 5, maxQueueSize: 1024, safetyMarginMs: 0, maxBatch: 2 },
    initial: names.map((v, i) => ({ stage: `s${i}`, variants: [{ variant: v, weight: 1, batch: 2, coresPerReplica: 1, replicas: 1 }] })),
    seed: 1,
    ...overrides,
  };
}
