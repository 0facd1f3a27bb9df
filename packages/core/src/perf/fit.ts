import { PerfModelError } from "./errors.js";
import { spongeLatencyMs, type SpongeCoefficients } from "./latency-model.js";
import type { MeasuredLatency } from "./perf-model.js";

/** Result of fitting Sponge's latency model to measured points. */
export interface SpongeFit {
  readonly coefficients: SpongeCoefficients;
  /** Root-mean-square error over the points, ms. */
  readonly rmseMs: number;
  /** Largest |predicted − measured|, ms, and the point where it happens (signed: predicted − measured). */
  readonly maxErrorMs: number;
  readonly maxErrorAt: { readonly batch: number; readonly cores: number };
  /**
   * Largest measured − predicted over the points, ms (0 when the fit never under-predicts): the
   * error that makes a policy miss its SLO. Its share of that point's measured latency is
   * `worstUnderPredictionPct`, where it happens `worstUnderPredictionAt`.
   */
  readonly worstUnderPredictionMs: number;
  readonly worstUnderPredictionPct: number;
  readonly worstUnderPredictionAt: { readonly batch: number; readonly cores: number } | undefined;
  readonly points: number;
  /** Core counts the fit saw: a prediction at any other count is {@link SpongePrediction.modeled}. */
  readonly coresMeasured: readonly number[];
  /** Batch sizes the fit saw. */
  readonly batchesMeasured: readonly number[];
}

/** A latency predicted by a {@link SpongeFit}. */
export interface SpongePrediction {
  readonly latencyMs: number;
  /** True when `cores` or `batch` was not among the fitted points': the model is extrapolating. */
  readonly modeled: boolean;
}

/** Predicts `l(b,c)` from a fit, flagging core counts and batches it never saw. */
export function predictSponge(fit: SpongeFit, batch: number, cores: number): SpongePrediction {
  return {
    latencyMs: spongeLatencyMs(fit.coefficients, batch, cores),
    modeled: !fit.coresMeasured.includes(cores) || !fit.batchesMeasured.includes(batch),
  };
}

const FEATURES = [
  (b: number, c: number): number => b / c,
  (b: number): number => b,
  (_b: number, c: number): number => 1 / c,
  (): number => 1,
] as const;

/** Solves the small dense system `A x = y` (A square) by Gaussian elimination with partial pivoting. */
function solveDense(a: number[][], y: number[]): number[] | undefined {
  const n = y.length;
  const m = a.map((row, i) => [...row, y[i] as number]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[piv]![col]!)) piv = r;
    if (Math.abs(m[piv]![col]!) < 1e-12) return undefined;
    [m[col], m[piv]] = [m[piv]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Options of {@link fitSpongeLatency}. */
export interface SpongeFitOptions {
  /**
   * `absolute`: minimise Σ (predicted − measured)² in ms², as Sponge's curve_fit does (the large
   * batches dominate). `relative`: minimise Σ ((predicted − measured)/measured)², so a 2 ms miss on
   * a 10 ms point weighs as much as a 20 ms miss on a 100 ms one. @default "absolute"
   */
  readonly weighting?: "absolute" | "relative";
}

/**
 * Non-negative least-squares fit of `l(b,c) = γ·b/c + δ·b + ε/c + η` (Sponge's form) to measured
 * points. With four coefficients the NNLS optimum is found exactly by solving the unconstrained
 * least squares on each of the 15 non-empty supports and keeping the best non-negative one (the
 * NNLS solution is the LS solution on its own support), which avoids an iterative active-set loop.
 * @throws PerfModelError with fewer than 4 points or a non-positive latency.
 */
export function fitSpongeLatency(points: readonly MeasuredLatency[], options: SpongeFitOptions = {}): SpongeFit {
  if (points.length < 4) throw new PerfModelError(`need ≥ 4 measured points to fit 4 coefficients, got ${points.length}`);
  for (const p of points) {
    if (!(p.latencyMs > 0) || !(p.batch >= 1) || !(p.cores > 0)) {
      throw new PerfModelError(`bad measured point b=${p.batch} c=${p.cores} latency=${p.latencyMs} ms`);
    }
  }
  const weight = (p: MeasuredLatency): number => ((options.weighting ?? "absolute") === "relative" ? 1 / p.latencyMs : 1);
  const rows = points.map((p) => FEATURES.map((f) => f(p.batch, p.cores) * weight(p)));
  const ys = points.map((p) => p.latencyMs * weight(p));
  let best: { x: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 16; mask++) {
    const support = [0, 1, 2, 3].filter((j) => (mask >> j) & 1);
    const ata = support.map((i) => support.map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
    const aty = support.map((i) => rows.reduce((s, r, k) => s + r[i]! * ys[k]!, 0));
    const sol = solveDense(ata, aty);
    if (!sol || sol.some((v) => v < -1e-12)) continue;
    const x = [0, 0, 0, 0];
    support.forEach((j, k) => (x[j] = Math.max(0, sol[k]!)));
    const sse = rows.reduce((s, r, k) => s + (r.reduce((t, f, j) => t + f * x[j]!, 0) - ys[k]!) ** 2, 0);
    if (!best || sse < best.sse) best = { x, sse };
  }
  if (!best) throw new PerfModelError("no non-negative least-squares solution (degenerate points)");
  const coefficients: SpongeCoefficients = { gammaMs: best.x[0]!, deltaMs: best.x[1]!, epsilonMs: best.x[2]!, etaMs: best.x[3]! };
  let maxErrorMs = 0;
  let maxErrorAt = { batch: points[0]!.batch, cores: points[0]!.cores };
  let under = 0;
  let underPct = 0;
  let underAt: { batch: number; cores: number } | undefined;
  for (const p of points) {
    const err = spongeLatencyMs(coefficients, p.batch, p.cores) - p.latencyMs;
    if (Math.abs(err) > Math.abs(maxErrorMs)) {
      maxErrorMs = err;
      maxErrorAt = { batch: p.batch, cores: p.cores };
    }
    if (-err > under) {
      under = -err;
      underPct = (100 * -err) / p.latencyMs;
      underAt = { batch: p.batch, cores: p.cores };
    }
  }
  const distinct = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  const sseMs = points.reduce((s, p) => s + (spongeLatencyMs(coefficients, p.batch, p.cores) - p.latencyMs) ** 2, 0);
  return {
    coefficients,
    rmseMs: Math.sqrt(sseMs / points.length),
    maxErrorMs,
    maxErrorAt,
    worstUnderPredictionMs: under,
    worstUnderPredictionPct: underPct,
    worstUnderPredictionAt: underAt,
    points: points.length,
    coresMeasured: distinct(points.map((p) => p.cores)),
    batchesMeasured: distinct(points.map((p) => p.batch)),
  };
}
