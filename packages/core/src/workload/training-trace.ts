import type { Rng } from "../rng/index.js";
import { createRng, normal, poisson } from "../rng/index.js";
import { WorkloadOptionsError } from "./errors.js";

const DAY_S = 86_400;

/** Options of {@link generateTrainingTrace}. */
export interface TrainingTraceOptions {
  /** RNG seed; the same seed always yields the same trace. */
  seed: number;
  /** Length in days. @default 21 (the Twitter trace's ≈22 days) */
  days?: number;
  /** Mean arrival rate over a weekday, before bursts, in RPS. @default 20 */
  meanRps?: number;
  /** Relative amplitude of the daily cycle (peak at 15:00, trough at 03:00). @default 0.45 */
  dailyAmplitude?: number;
  /** Rate multiplier on Saturdays and Sundays (days 5 and 6 of each week). @default 0.75 */
  weekendFactor?: number;
  /** Stationary std of the slow log-rate noise (an AR(1) with a ≈10-minute memory). @default 0.18 */
  noiseStd?: number;
  /** Mean number of bursts per day (Poisson). @default 4 */
  burstsPerDay?: number;
  /**
   * Counts are drawn at `dampingFactor ×` the rate, divided by it and rounded, as IPA damps the
   * Twitter trace by 8: the level is `meanRps` but the per-second noise is that of a stream
   * `dampingFactor` times busier (IPA's measured windows have exactly that noise). 1 = plain Poisson.
   * @default 8
   */
  dampingFactor?: number;
}

/** A trace with the options it was generated from, so experiments can record them. */
export interface TrainingTrace {
  /** Per-second arrival counts. */
  rps: number[];
  /** The options with every default filled in. */
  options: Required<TrainingTraceOptions>;
}

interface Burst {
  startS: number;
  rampS: number;
  holdS: number;
  factor: number;
}

function drawBursts(rng: Rng, days: number, perDay: number): Burst[] {
  const bursts: Burst[] = [];
  const count = poisson(rng, perDay * days);
  for (let i = 0; i < count; i++) {
    bursts.push({
      startS: Math.floor(rng.next() * days * DAY_S),
      rampS: 30 + rng.next() * 150,
      holdS: 60 + rng.next() * 840,
      factor: 1.5 + rng.next() * 1.5,
    });
  }
  return bursts.sort((a, b) => a.startS - b.startS);
}

/**
 * A multi-day per-second trace for training and evaluating forecasters: a daily cycle, a weekly
 * cycle (quieter weekends), autocorrelated log-rate noise, and bursts that ramp up to ×1.5–3 the
 * rate for 1–15 minutes; the count of each second is Poisson around that rate, damped like IPA's
 * Twitter trace (see `dampingFactor`). Synthetic: no real trace can be downloaded here
 * (docs/architecture.md#workloads).
 */
export function generateTrainingTrace(options: TrainingTraceOptions): TrainingTrace {
  const o: Required<TrainingTraceOptions> = {
    days: 21,
    meanRps: 20,
    dailyAmplitude: 0.45,
    weekendFactor: 0.75,
    noiseStd: 0.18,
    burstsPerDay: 4,
    dampingFactor: 8,
    ...options,
  };
  if (!(o.dampingFactor >= 1)) throw new WorkloadOptionsError("dampingFactor", `must be >= 1, got ${o.dampingFactor}`);
  if (!(o.days > 0)) throw new WorkloadOptionsError("days", `must be > 0, got ${o.days}`);
  if (!(o.meanRps > 0)) throw new WorkloadOptionsError("meanRps", `must be > 0, got ${o.meanRps}`);
  if (!(o.dailyAmplitude >= 0 && o.dailyAmplitude < 1)) {
    throw new WorkloadOptionsError("dailyAmplitude", `must be in [0, 1), got ${o.dailyAmplitude}`);
  }
  const rng = createRng(o.seed);
  const lengthS = Math.round(o.days * DAY_S);
  const bursts = drawBursts(rng, o.days, o.burstsPerDay);
  const phi = Math.exp(-1 / 600);
  const innovation = o.noiseStd * Math.sqrt(1 - phi * phi);
  let x = normal(rng, 0, o.noiseStd);
  let nextBurst = 0;
  const active: Burst[] = [];
  const rps = new Array<number>(lengthS);
  for (let t = 0; t < lengthS; t++) {
    while (nextBurst < bursts.length && (bursts[nextBurst] as Burst).startS <= t) active.push(bursts[nextBurst++] as Burst);
    let burst = 1;
    for (let i = active.length - 1; i >= 0; i--) {
      const b = active[i] as Burst;
      const age = t - b.startS;
      const end = 2 * b.rampS + b.holdS;
      if (age >= end) {
        active.splice(i, 1);
        continue;
      }
      const shape = age < b.rampS ? age / b.rampS : age < b.rampS + b.holdS ? 1 : (end - age) / b.rampS;
      burst *= 1 + (b.factor - 1) * shape;
    }
    const dayPhase = ((t % DAY_S) / DAY_S) * 2 * Math.PI;
    const daily = 1 + o.dailyAmplitude * Math.cos(dayPhase - (15 / 24) * 2 * Math.PI);
    const weekday = Math.floor(t / DAY_S) % 7;
    const weekly = weekday >= 5 ? o.weekendFactor : 1;
    x = phi * x + innovation * normal(rng);
    const rate = o.meanRps * daily * weekly * burst * Math.exp(x - (o.noiseStd * o.noiseStd) / 2);
    rps[t] = o.dampingFactor === 1 ? poisson(rng, rate) : Math.round(poisson(rng, rate * o.dampingFactor) / o.dampingFactor);
  }
  return { rps, options: o };
}
