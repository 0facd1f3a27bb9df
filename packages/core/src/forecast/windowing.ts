import { ForecastConfigError } from "./errors.js";

/**
 * Per-bin peaks of a per-second series: bin k is the max of seconds [k·binS, (k+1)·binS). A last,
 * incomplete bin is dropped so every peak covers the same span. IPA feeds its LSTM 10-second peaks.
 */
export function binPeaks(rps: readonly number[], binS: number): number[] {
  if (!(Number.isInteger(binS) && binS >= 1)) throw new ForecastConfigError("binS", `must be an integer >= 1, got ${binS}`);
  const bins = Math.floor(rps.length / binS);
  const out = new Array<number>(bins);
  for (let k = 0; k < bins; k++) {
    let peak = -Infinity;
    for (let s = k * binS; s < (k + 1) * binS; s++) peak = Math.max(peak, rps[s] as number);
    out[k] = peak;
  }
  return out;
}

/** Per-bin mean RPS of a per-second series, aligned with {@link binPeaks} (incomplete tail dropped). */
export function binMeans(rps: readonly number[], binS: number): number[] {
  if (!(Number.isInteger(binS) && binS >= 1)) throw new ForecastConfigError("binS", `must be an integer >= 1, got ${binS}`);
  const bins = Math.floor(rps.length / binS);
  const out = new Array<number>(bins);
  for (let k = 0; k < bins; k++) {
    let sum = 0;
    for (let s = k * binS; s < (k + 1) * binS; s++) sum += rps[s] as number;
    out[k] = sum / binS;
  }
  return out;
}

/** Peak of `peaks[from .. from + horizonBins)`: the value a forecast made after bin `from − 1` is judged against. */
export function futurePeak(peaks: readonly number[], from: number, horizonBins: number): number {
  let peak = -Infinity;
  for (let k = from; k < from + horizonBins; k++) peak = Math.max(peak, peaks[k] as number);
  return peak;
}

/** Supervised samples for a window → next-peak model. */
export interface WindowSamples {
  /** Each input is the last `windowBins` peaks, oldest first. */
  inputs: number[][];
  /** The same windows of bin means, when means were given. */
  meanInputs?: number[][];
  /** Peak of the `horizonBins` bins that follow each input. */
  targets: number[];
}

/**
 * Slides a window over bin peaks: input = peaks[t − windowBins .. t), target = peak of
 * peaks[t .. t + horizonBins), for t = windowBins, windowBins + strideBins, … within the series.
 * With `means` (aligned with `peaks`), the same windows of means are returned too.
 */
export function makeWindows(peaks: readonly number[], windowBins: number, horizonBins: number, strideBins = 1, means?: readonly number[]): WindowSamples {
  if (means !== undefined && means.length !== peaks.length) {
    throw new ForecastConfigError("means", `must align with peaks (${peaks.length} bins), got ${means.length}`);
  }
  if (!(Number.isInteger(windowBins) && windowBins >= 1)) throw new ForecastConfigError("windowBins", `must be an integer >= 1, got ${windowBins}`);
  if (!(Number.isInteger(horizonBins) && horizonBins >= 1)) throw new ForecastConfigError("horizonBins", `must be an integer >= 1, got ${horizonBins}`);
  if (!(Number.isInteger(strideBins) && strideBins >= 1)) throw new ForecastConfigError("strideBins", `must be an integer >= 1, got ${strideBins}`);
  const inputs: number[][] = [];
  const meanInputs: number[][] = [];
  const targets: number[] = [];
  for (let t = windowBins; t + horizonBins <= peaks.length; t += strideBins) {
    inputs.push(peaks.slice(t - windowBins, t));
    if (means) meanInputs.push(means.slice(t - windowBins, t));
    targets.push(futurePeak(peaks, t, horizonBins));
  }
  return means ? { inputs, meanInputs, targets } : { inputs, targets };
}

/**
 * Merges window sets (e.g. the same trace at several scales) into one, taking their samples in turn
 * (a0, b0, a1, b1, …) so time order is kept within each set and a trainer's tail-of-samples
 * validation split draws from every set alike. Mean windows are kept only when every set has them.
 */
export function interleaveWindows(sets: readonly WindowSamples[]): WindowSamples {
  const withMeans = sets.length > 0 && sets.every((s) => s.meanInputs !== undefined);
  const inputs: number[][] = [];
  const meanInputs: number[][] = [];
  const targets: number[] = [];
  const longest = Math.max(0, ...sets.map((s) => s.targets.length));
  for (let n = 0; n < longest; n++) {
    for (const s of sets) {
      if (n >= s.targets.length) continue;
      inputs.push(s.inputs[n] as number[]);
      if (withMeans) meanInputs.push((s.meanInputs as number[][])[n] as number[]);
      targets.push(s.targets[n] as number);
    }
  }
  return withMeans ? { inputs, meanInputs, targets } : { inputs, targets };
}

/** Converts a horizon or window in seconds to whole bins, rejecting spans that are not a multiple of the bin. */
export function secondsToBins(option: string, seconds: number, binS: number): number {
  const bins = seconds / binS;
  if (!(Number.isInteger(bins) && bins >= 1)) {
    throw new ForecastConfigError(option, `must be a positive multiple of binS=${binS} s, got ${seconds} s`);
  }
  return bins;
}
