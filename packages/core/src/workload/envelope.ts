import type { SeriesStats } from "./stats.js";
import { seriesStats } from "./stats.js";

/**
 * Maps a raw shape onto integer counts with the target min/max/mean/std: an affine map of the
 * z-scores, clipped to [min, max] and rounded, whose mean and scale are corrected a few times
 * because clipping and rounding move the moments. The raw argmax/argmin are pinned to the
 * envelope so every trace spans it exactly, as the measured windows do.
 */
export function fitToEnvelope(raw: readonly number[], target: SeriesStats): number[] {
  const { mean: rawMean, std: rawStd } = seriesStats(raw);
  const scale = rawStd > 0 ? rawStd : 1;
  let mean = target.mean;
  let std = target.std;
  let out: number[] = [];
  for (let iter = 0; iter < 8; iter++) {
    out = raw.map((v) => Math.round(Math.min(target.max, Math.max(target.min, mean + (std * (v - rawMean)) / scale))));
    const got = seriesStats(out);
    mean += target.mean - got.mean;
    if (got.std > 0) std *= target.std / got.std;
  }
  let argMax = 0;
  let argMin = 0;
  raw.forEach((v, i) => {
    if (v > (raw[argMax] as number)) argMax = i;
    if (v < (raw[argMin] as number)) argMin = i;
  });
  out[argMax] = target.max;
  out[argMin] = target.min;
  return out;
}
