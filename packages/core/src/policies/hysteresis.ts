import { totalCores, type StageAssignment } from "../assignment/index.js";
import { throughputRps } from "../perf/index.js";
import type { PolicyInput, PolicyState } from "./types.js";

/**
 * True when `stages` can carry λ̂ at every stage: each variant's replicas serve at least its share,
 * `replicas · h(b,c) ≥ weight · λ̂`. A variant whose profile cannot be read does not carry anything.
 */
export function carriesForecast(input: PolicyInput, stages: readonly StageAssignment[]): boolean {
  if (stages.length !== input.stages.length) return false;
  return stages.every((st) =>
    st.variants.length > 0 &&
    st.variants.every((v) => {
      if (v.weight <= 0) return true;
      try {
        const l = input.perf.latency(v.variant, v.batch, v.coresPerReplica).latencyMs;
        return v.replicas * throughputRps(v.batch, l) >= v.weight * input.forecastRps - 1e-9;
      } catch {
        return false;
      }
    }),
  );
}

/** Result of {@link applyScaleDownHysteresis}. */
export interface HysteresisOutcome {
  readonly stages: readonly StageAssignment[];
  readonly state: PolicyState;
  readonly held: boolean;
}

/**
 * The shared scale-down guard (Ray Serve's delay step): a proposal with fewer total cores than the
 * current assignment is applied only on the `delayIntervals`-th consecutive such proposal; until
 * then the current assignment is kept. Scale-up and same-size changes apply at once and reset the
 * streak. The current assignment is kept only while it still carries λ̂: holding an assignment that
 * would violate the SLO is not damping, it is an outage.
 */
export function applyScaleDownHysteresis(
  input: PolicyInput,
  proposal: readonly StageAssignment[],
  prev: PolicyState | undefined,
  delayIntervals: number,
): HysteresisOutcome {
  const current = input.current;
  const isDown = current !== undefined && current.length > 0 && totalCores({ stages: proposal }) < totalCores({ stages: current });
  if (!isDown) return { stages: proposal, state: { downscaleStreak: 0 }, held: false };
  const streak = (prev?.downscaleStreak ?? 0) + 1;
  if (streak >= delayIntervals || !carriesForecast(input, current)) return { stages: proposal, state: { downscaleStreak: 0 }, held: false };
  return { stages: current, state: { downscaleStreak: streak }, held: true };
}
