import { afterAll, describe, expect, it } from "vitest";
import { createHighsSolver } from "@fulcrum/solver";
import { createPerfModel } from "../perf/index.js";
import { createRng } from "../rng/index.js";
import { bruteForceSingleChoice } from "./brute-force.js";
import { ipaOptionValue } from "./ipa.js";
import { ipaCoresFor, stageOptions } from "./options.js";
import { compilePipeline } from "./pipeline.js";
import { randomInstance } from "./instances.js";
import { POLICIES } from "./registry.js";
import { fa2ConfigSchema } from "./fa2.js";
import { rimConfigSchema } from "./rim.js";
import type { PolicyInput, PolicyState } from "./types.js";
import { vpaBucketEnd, vpaPercentile, type VpaState } from "./vpa.js";

const vpaState = (s: PolicyState | undefined): VpaState => s as VpaState;

const solver = createHighsSolver();
afterAll(() => solver.close());
const deps = { solver };

const oneStage = (overrides: Partial<PolicyInput> = {}): PolicyInput => ({
  pipeline: "p", stages: [{ name: "s", variants: [{ name: "m", accuracy: 0.7 }] }],
  perf: createPerfModel({ m: { fit: { gammaMs: 100, deltaMs: 0, epsilonMs: 0, etaMs: 0 } } }),
  forecastRps: 30, sloMs: 1000,
  limits: { maxCores: 64, batches: [1], coresPerReplica: [1], maxReplicas: 100 },
  ...overrides,
});

describe("fa2 and rim (IPA with variants / replicas pinned)", () => {
  it.each(["fa2", "rim"] as const)("%s matches brute force on 200 seeded random instances", async (name) => {
    const rng = createRng(name === "fa2" ? 1 : 2);
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const input = randomInstance(rng, {
        stages: 1 + Math.floor(rng.next() * 3), variantsPerStage: 1 + Math.floor(rng.next() * 3), batches: [1, 2, 4], coresPerReplica: [1, 2, 4],
        dag: rng.next() < 0.5, maxCores: 8 + Math.floor(rng.next() * 40), maxReplicas: 20,
      });
      const pin = input.stages.map((st) => st.variants[Math.floor(rng.next() * st.variants.length)]!.name);
      const replicas = 1 + Math.floor(rng.next() * 4);
      const raw = name === "fa2" ? { method: "milp", variants: Object.fromEntries(input.stages.map((st, s) => [st.name, pin[s]!])) } : { method: "milp", replicas };
      const config = name === "fa2" ? fa2ConfigSchema.parse(raw) : rimConfigSchema.parse(raw);
      const all = input.stages.map((_, s) => stageOptions(input, s, input.forecastRps, {
        coresFor: ipaCoresFor(input), ...(name === "fa2" ? { variants: new Set([pin[s]!]) } : { pinnedReplicas: replicas }),
      }));
      const brute = bruteForceSingleChoice(compilePipeline(input), all, (o) => ipaOptionValue(config, o, input.stages.length), input.sloMs, input.limits.maxCores);
      const d = await POLICIES[name].decide(input, undefined, raw, 0, deps);
      if (!brute) {
        expect(d.explanation.status).toBe("fallback");
        continue;
      }
      feasible++;
      expect(Math.abs(d.explanation.objective! - brute.objective), `instance ${i}`).toBeLessThan(1e-6);
      for (const [s, st] of d.stages.entries()) {
        if (name === "fa2") expect(st.variants[0]!.variant).toBe(pin[s]);
        else expect(st.variants[0]!.replicas).toBe(replicas);
      }
    }
    expect(feasible).toBeGreaterThan(30);
  });
});

describe("hpa", () => {
  it("applies Kubernetes' formula with 1-core replicas and a tolerance band", async () => {
    // h(1,1) = 10 rps; λ̂ = 30, target 0.8 → ceil(30 / 8) = 4 replicas.
    const first = await POLICIES.hpa.decide(oneStage(), undefined, {}, 0, deps);
    expect(first.stages[0]!.variants[0]).toMatchObject({ coresPerReplica: 1, replicas: 4 });
    // 4 replicas at 31 rps: ratio 31/40/0.8 = 0.97, inside the 10% band → unchanged.
    const current = first.stages;
    const steady = await POLICIES.hpa.decide(oneStage({ forecastRps: 31, current }), first.state, {}, 1, deps);
    expect(steady.stages[0]!.variants[0]!.replicas).toBe(4);
    const up = await POLICIES.hpa.decide(oneStage({ forecastRps: 60, current }), first.state, {}, 2, deps);
    expect(up.stages[0]!.variants[0]!.replicas).toBe(8);
  });

  it("holds a scale-down for the stabilisation intervals", async () => {
    const current = [{ stage: "s", variants: [{ variant: "m", weight: 1, batch: 1, coresPerReplica: 1, replicas: 10 }] }];
    let state;
    for (let k = 1; k < 3; k++) {
      const d = await POLICIES.hpa.decide(oneStage({ forecastRps: 8, current }), state, { scaleDownDelayIntervals: 3 }, k, deps);
      expect(d.explanation.status).toBe("held");
      expect(d.stages).toEqual(current);
      state = d.state;
    }
    const d = await POLICIES.hpa.decide(oneStage({ forecastRps: 8, current }), state, { scaleDownDelayIntervals: 3 }, 3, deps);
    expect(d.stages[0]!.variants[0]!.replicas).toBe(1);
  });
});

describe("hpa and vpa stay within the deployment's limits", () => {
  it("caps replicas and cores at the limits whatever the load", async () => {
    const limits = { maxCores: 2, batches: [1], coresPerReplica: [1, 2], maxReplicas: 2 };
    const hpa = await POLICIES.hpa.decide(oneStage({ forecastRps: 1e6, limits }), undefined, {}, 0, deps);
    expect(hpa.stages[0]!.variants[0]).toMatchObject({ replicas: 2, coresPerReplica: 1 });
    const vpa = await POLICIES.vpa.decide(oneStage({ forecastRps: 1e6, limits }), undefined, {}, 0, deps);
    expect(vpa.stages[0]!.variants[0]).toMatchObject({ replicas: 1, coresPerReplica: 2 });
  });
});

describe("vpa (Kubernetes VPA's recommender)", () => {
  // At c cores the model serves 10·c rps: a request takes 0.1 core-seconds.
  const held = (cores: number) => [{ stage: "s", variants: [{ variant: "m", weight: 1, batch: 1, coresPerReplica: cores, replicas: 1 }] }];

  it("samples the CPU used (the observed rate's CPU time) and recommends ⌈1.15 · P90⌉, applied by restart", async () => {
    const d = await POLICIES.vpa.decide(oneStage({ forecastRps: 300, observedRps: 30, current: held(20) }), undefined, { scaleDownDelayIntervals: 1 }, 60_000, deps);
    // Usage 30 rps × 0.1 = 3 cores (not λ̂ = 300): P90 is the end of 3's histogram bucket (≤ 5 % above), × 1.15 → 4.
    expect(d.stages[0]!.variants[0]!.coresPerReplica).toBe(4);
    expect(d.explanation.notes).toContain("actuation: restart");
    expect(vpaState(d.state).samples.s).toEqual([{ atMs: 60_000, usageCores: 3, weight: 20 }]);
  });

  it("sees a burst only as usage pinned at the cores held, so it follows it slowly", async () => {
    let current = held(20);
    let state;
    const cores: number[] = [];
    for (let k = 0; k < 16; k++) {
      // 6 minutes at 30 rps, then a burst of 300 rps (30 cores of demand).
      const observedRps = k < 6 ? 30 : 300;
      const d = await POLICIES.vpa.decide(oneStage({ forecastRps: observedRps, observedRps, current }), state, { scaleDownDelayIntervals: 1 }, 60_000 * (k + 1), deps);
      current = d.stages.map((st) => ({ ...st, variants: [...st.variants] }));
      state = d.state;
      cores.push(d.stages[0]!.variants[0]!.coresPerReplica);
    }
    expect(cores.slice(0, 6)).toEqual([4, 4, 4, 4, 4, 4]);
    // The 20-core sample of the first minute outweighs the burst's first: nothing changes.
    expect(cores[6]).toBe(4);
    // Then it climbs at most a margin (and a bucket) a minute, as usage can show no more than the
    // cores held: after 10 minutes of the burst it is still short of the 30 cores it needs.
    for (let k = 7; k < 16; k++) expect(cores[k]!).toBeLessThanOrEqual(Math.ceil(1.15 * 1.05 * cores[k - 1]!));
    expect(cores[15]).toBeGreaterThan(4);
    expect(cores[15]).toBeLessThan(30);
  });

  it("takes one sample per recommender interval, whatever the decision cadence", async () => {
    let state;
    for (const atMs of [60_000, 90_000, 120_000, 150_000, 180_000]) {
      state = (await POLICIES.vpa.decide(oneStage({ observedRps: 30, current: held(4) }), state, {}, atMs, deps)).state;
    }
    expect(vpaState(state).samples.s!.map((x) => x.atMs)).toEqual([60_000, 120_000, 180_000]);
  });

  it("keeps its usage history through a decision it cannot make", async () => {
    const first = await POLICIES.vpa.decide(oneStage({ observedRps: 30, current: held(4) }), undefined, {}, 60_000, deps);
    const failed = await POLICIES.vpa.decide(oneStage({ observedRps: 30, current: held(4) }), first.state, { variants: { s: "unknown" } }, 120_000, deps);
    expect(failed.explanation.fallback?.reason).toBe("invalid-input");
    expect(vpaState(failed.state).samples).toEqual(vpaState(first.state).samples);
  });

  it("reads a weighted percentile at a histogram bucket's end, each sample weighed by its CPU request", () => {
    const at = 0;
    expect(vpaPercentile([{ atMs: at, usageCores: 1, weight: 9 }, { atMs: at, usageCores: 10, weight: 1 }], 0.9, 86_400_000, at)).toBe(vpaBucketEnd(1));
    expect(vpaPercentile([{ atMs: at, usageCores: 1, weight: 1 }, { atMs: at, usageCores: 10, weight: 1 }], 0.9, 86_400_000, at)).toBe(vpaBucketEnd(10));
    for (const v of [0.005, 0.3, 1, 3, 17.2, 400]) {
      expect(vpaBucketEnd(v)).toBeGreaterThan(v);
      expect(vpaBucketEnd(v)).toBeLessThanOrEqual(Math.max(1.05 * v + 0.01, 0.01));
    }
  });
});

describe("static", () => {
  it("returns the configured allocation whatever the load", async () => {
    const cfg = { stages: { s: { variant: "m", coresPerReplica: 2, replicas: 3 } } };
    for (const rps of [1, 1000]) {
      const d = await POLICIES.static.decide(oneStage({ forecastRps: rps }), undefined, cfg, 0, deps);
      expect(d.stages).toEqual([{ stage: "s", variants: [{ variant: "m", weight: 1, batch: 1, coresPerReplica: 2, replicas: 3 }] }]);
    }
  });

  it("rejects a bad config with a message naming the key", async () => {
    await expect(POLICIES.static.decide(oneStage(), undefined, { stages: { s: { variant: "m", replicas: 0 } } }, 0, deps)).rejects.toThrow(/invalid static config: stages\.s\.replicas/);
  });
});

describe("ms-plus", () => {
  it("runs exactly one variant with share 1", async () => {
    const input = oneStage({
      stages: [{ name: "s", variants: [{ name: "m", accuracy: 0.7 }, { name: "n", accuracy: 0.8 }] }],
      perf: createPerfModel({ m: { fit: { gammaMs: 100, deltaMs: 0, epsilonMs: 0, etaMs: 0 } }, n: { fit: { gammaMs: 200, deltaMs: 0, epsilonMs: 0, etaMs: 0 } } }),
      limits: { maxCores: 20, batches: [1], coresPerReplica: [1], maxReplicas: 1 },
    });
    const d = await POLICIES["ms-plus"].decide(input, undefined, {}, 0, deps);
    expect(d.stages[0]!.variants).toHaveLength(1);
    expect(d.stages[0]!.variants[0]!.weight).toBe(1);
    expect(d.explanation.policy).toBe("ms-plus");
  });
});
