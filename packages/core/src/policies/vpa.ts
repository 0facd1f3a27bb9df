import { z } from "zod";
import { throughputRps } from "../perf/index.js";
import { commonConfigShape } from "./common-config.js";
import { fallbackDecision } from "./fallback.js";
import { applyScaleDownHysteresis } from "./hysteresis.js";
import type { PolicyDecision, PolicyInput, PolicyState } from "./types.js";

/** The VPA baseline's config: Kubernetes VPA's recommender as InfAdapter and Sponge ran it (docs/architecture.md#vpa). */
export const vpaConfigSchema = z.object({
  ...commonConfigShape,
  /** Scale-down after this many stable intervals (InfAdapter: 4). @default 4 */
  scaleDownDelayIntervals: z.number().int().min(1).default(4),
  /** Percentile of the usage histogram the target is read at (VPA's `target-cpu-percentile`). @default 0.9 */
  targetPercentile: z.number().gt(0).max(1).default(0.9),
  /** Safety margin added to that percentile (VPA's `recommendation-margin-fraction`). @default 0.15 */
  marginFraction: z.number().min(0).default(0.15),
  /** Time between usage samples (the recommender's loop, VPA's `recommender-interval`), ms. @default 60000 */
  sampleIntervalMs: z.number().int().positive().default(60_000),
  /** Half-life of a sample's weight (VPA's `cpu-histogram-decay-half-life`, 24 h), ms. @default 86400000 */
  halfLifeMs: z.number().positive().default(86_400_000),
  /** Cores bounds (`minAllowed`/`maxAllowed`). @default 2..20 */
  minCores: z.number().int().min(1).default(2),
  maxCores: z.number().int().min(1).default(20),
  /** Fixed variant per stage; @default current, else first */
  variants: z.record(z.string(), z.string()).default({}),
});
export type VpaConfig = z.output<typeof vpaConfigSchema>;

/** One CPU usage sample of a stage's container. */
interface UsageSample {
  readonly atMs: number;
  /** Cores used, at most the cores the container had. */
  readonly usageCores: number;
  /** The container's CPU request when sampled, cores (VPA weighs each sample by it). */
  readonly weight: number;
}

/** What the VPA recommender remembers: its usage samples per stage. */
export interface VpaState extends PolicyState {
  readonly lastSampleMs: number;
  readonly samples: Readonly<Record<string, readonly UsageSample[]>>;
}

function vpaState(prev: PolicyState | undefined): VpaState | undefined {
  return prev !== undefined && "samples" in prev && "lastSampleMs" in prev ? (prev as VpaState) : undefined;
}

/** VPA's CPU histogram: exponential buckets, the first 0.01 cores wide, each 5 % wider than the last. */
const FIRST_BUCKET_CORES = 0.01;
const BUCKET_RATIO = 1.05;

/** End of the histogram bucket holding `cores` (the histogram's percentile is a bucket's end). */
export function vpaBucketEnd(cores: number): number {
  if (cores <= 0) return FIRST_BUCKET_CORES;
  const start = (i: number): number => (FIRST_BUCKET_CORES * (BUCKET_RATIO ** i - 1)) / (BUCKET_RATIO - 1);
  let i = Math.floor(Math.log(1 + (cores * (BUCKET_RATIO - 1)) / FIRST_BUCKET_CORES) / Math.log(BUCKET_RATIO));
  // Rounding at a bucket's edge: settle on the bucket whose [start, next start) holds `cores`.
  while (i > 0 && start(i) > cores) i--;
  while (start(i + 1) <= cores) i++;
  return start(i + 1);
}

/**
 * The weighted percentile of the samples as VPA's decaying histogram gives it: each sample weighs
 * its CPU request × 2^(age ÷ −halfLife), and the percentile is the end of the bucket where the
 * cumulative weight first reaches `p` of the total.
 */
export function vpaPercentile(samples: readonly UsageSample[], p: number, halfLifeMs: number, nowMs: number): number {
  // 0.1: VPA's minimum sample weight (`minSampleWeight`), so a tiny request still counts.
  const weighted = samples.map((s) => ({ v: s.usageCores, w: Math.max(s.weight, 0.1) * 2 ** ((s.atMs - nowMs) / halfLifeMs) })).sort((a, b) => a.v - b.v);
  const total = weighted.reduce((a, s) => a + s.w, 0);
  let acc = 0;
  for (const s of weighted) {
    acc += s.w;
    if (acc >= p * total - 1e-12) return vpaBucketEnd(s.v);
  }
  return vpaBucketEnd(weighted[weighted.length - 1]?.v ?? 0);
}

/**
 * VPA, as InfAdapter ran it (`updateMode: Off`, its target read every interval, ceiled, and applied
 * by restarting the pod; Sponge's `Auto` mode does the same by eviction): per stage one replica of a
 * fixed variant at batch 1, its cores the recommender's target.
 *
 * The recommender never sees the arrival rate, only the container's CPU usage: every
 * `sampleIntervalMs` it records usage = min(cores held, λ_obs · c / h(1, c)) (the observed arrival
 * rate, `input.observedRps`, else λ̂, times the CPU time a request takes at the c cores held), capped
 * by the cores held because a throttled container cannot use more than its limit. The target is
 * ⌈(1 + margin) · P_p(usage)⌉, clamped to [minCores, maxCores], where P_p is the weighted percentile
 * of every sample so far ({@link vpaPercentile}; a 24 h half-life keeps them all at nearly full
 * weight over an experiment). Until the first sample the cores held are kept. Scale-down waits
 * `scaleDownDelayIntervals` decisions (the shared hysteresis).
 *
 * So a burst is seen only through usage pinned at the cores held, which moves the percentile only
 * once enough such samples gather: VPA follows a burst slowly, by a margin at a time.
 */
export async function decideVpa(input: PolicyInput, prev: PolicyState | undefined, config: VpaConfig, nowMs: number): Promise<PolicyDecision> {
  const stages = [];
  const chosen = [];
  const before = vpaState(prev);
  const sampling = before === undefined || nowMs - before.lastSampleMs >= config.sampleIntervalMs;
  const samples: Record<string, readonly UsageSample[]> = { ...(before?.samples ?? {}) };
  // Never past the deployment's limits: this stage's share of the cores.
  const maxCores = Math.max(config.minCores, Math.min(config.maxCores, Math.floor(input.limits.maxCores / input.stages.length)));
  const lambda = input.observedRps ?? input.forecastRps;
  for (const st of input.stages) {
    const held = input.current?.find((c) => c.stage === st.name)?.variants[0];
    const variant = config.variants[st.name] ?? held?.variant ?? st.variants[0]!.name;
    // Without an assignment in force the container is taken to hold maxAllowed (where the papers' runs start).
    const heldCores = held?.variant === variant ? held.coresPerReplica : maxCores;
    let cores: number;
    let look;
    try {
      if (sampling) {
        // Samples older than ten half-lives weigh under 0.1 %: forgotten, so the state stays bounded.
        const kept = (samples[st.name] ?? []).filter((s) => nowMs - s.atMs < 10 * config.halfLifeMs);
        const perRequestCores = heldCores / throughputRps(1, input.perf.latency(variant, 1, heldCores).latencyMs);
        const usageCores = Math.min(heldCores, lambda * perRequestCores);
        samples[st.name] = [...kept, { atMs: nowMs, usageCores, weight: heldCores }];
      }
      const mine = samples[st.name] ?? [];
      cores = mine.length === 0
        ? heldCores
        : Math.min(maxCores, Math.max(config.minCores, Math.ceil((1 + config.marginFraction) * vpaPercentile(mine, config.targetPercentile, config.halfLifeMs, nowMs) - 1e-9)));
      look = input.perf.latency(variant, 1, cores);
    } catch (err) {
      const fallback = fallbackDecision("vpa", input, "invalid-input", (err as Error).message, "rule");
      // A bad input is no reason to forget the usage history the recommender has gathered.
      if (!before) return fallback;
      const kept: VpaState = { ...fallback.state, lastSampleMs: before.lastSampleMs, samples: before.samples };
      return { ...fallback, state: kept };
    }
    stages.push({ stage: st.name, variants: [{ variant, weight: 1, batch: 1, coresPerReplica: cores, replicas: 1 }] });
    chosen.push({ stage: st.name, variant, weight: 1, batch: 1, coresPerReplica: cores, replicas: 1, latencyMs: look.latencyMs, boundMs: look.latencyMs, throughputRps: throughputRps(1, look.latencyMs), extrapolated: look.outsideMeasuredRange });
  }
  const guarded = applyScaleDownHysteresis(input, stages, prev, config.scaleDownDelayIntervals);
  const state: VpaState = { ...guarded.state, lastSampleMs: sampling ? nowMs : before!.lastSampleMs, samples };
  return {
    stages: guarded.stages, state,
    explanation: { policy: "vpa", status: guarded.held ? "held" : "optimal", method: "rule", terms: { cores: chosen.reduce((s, c) => s + c.coresPerReplica, 0), usageRps: lambda }, chosen, notes: ["actuation: restart"] },
  };
}
