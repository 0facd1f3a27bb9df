/** Summary statistics of a series (population standard deviation). */
export interface SeriesStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

/** Min, max, mean and population std of a non-empty series; all zeros for an empty one. */
export function seriesStats(series: ArrayLike<number>): SeriesStats {
  const n = series.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, std: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = series[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (series[i] as number) - mean;
    ss += d * d;
  }
  return { min, max, mean, std: Math.sqrt(ss / n) };
}
