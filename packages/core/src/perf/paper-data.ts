import type { MeasuredLatency } from "./perf-model.js";
import type { SpongeCoefficients } from "./latency-model.js";

/** Where a paper-derived number comes from (provenance tags, docs/architecture.md#provenance-tags: R = read in code, D = derived). */
export interface Provenance {
  readonly source: string;
  readonly tag: "R" | "D" | "A" | "S";
  readonly note?: string;
}

/** Sponge's grid: batch sizes × core counts, latencies of one batch row in `SPONGE_CORES` order. */
const SPONGE_CORES = [1, 2, 4, 8, 16, 32] as const;
const grid = (batch: number, latenciesMs: readonly number[]): MeasuredLatency[] =>
  latenciesMs.map((latencyMs, i) => ({ batch, cores: SPONGE_CORES[i] as number, latencyMs }));

/**
 * Sponge's YOLOv5 latency grid, all 30 points: batch ∈ {1, 2, 4, 8, 16} × cores ∈ {1, 2, 4, 8, 16,
 * 32}, ms, digits kept as published. The repository's `data/sponge/yolov5-grid.csv` is the source;
 * a test proves this constant equals it point for point (`scripts/bench/profile-fit.test.ts`).
 */
export const SPONGE_YOLOV5_GRID: {
  readonly points: readonly MeasuredLatency[];
  readonly provenance: Provenance;
} = {
  points: [
    ...grid(1, [45.993, 28.877, 18.015, 12.402, 12.998, 12.614]),
    ...grid(2, [78.691, 44.688, 27.158, 18.366, 15.046, 14.883]),
    ...grid(4, [145.413, 82.432, 50.079, 31.439, 26.703, 26.107]),
    ...grid(8, [287.641, 166.14, 87.943, 57.045, 46.492, 42.403]),
    ...grid(16, [383.536, 222.231, 169.03, 114.533, 88.064, 86.104]),
  ],
  provenance: {
    source: "saeid93/sponge experiments/runner/notebooks/algorithms.ipynb (cell 6, l_data), committed as data/sponge/yolov5-grid.csv",
    tag: "R",
    note: "the notebook lists seconds; converted to ms, digits kept",
  },
};

/**
 * The coefficients Sponge reports for `l(b,c)` fitted (scipy `curve_fit`, unbounded least squares)
 * to the 30-point grid with latencies truncated to whole ms: RMSE 15.2 ms, largest error −58 ms at
 * b=8, c=1. Fulcrum's NNLS refit of the same truncated grid reproduces them (all four are positive,
 * so the non-negativity constraints are inactive and NNLS is the unbounded least squares).
 */
export const SPONGE_YOLOV5_REPORTED_FIT: { readonly coefficients: SpongeCoefficients; readonly rmseMs: number; readonly provenance: Provenance } = {
  coefficients: { gammaMs: 18.29, deltaMs: 4.488, epsilonMs: 45.47, etaMs: 1.05 },
  rmseMs: 15.2,
  provenance: { source: "saeid93/sponge experiments/runner/notebooks/algorithms.ipynb: curve_fit of the grid truncated to whole ms", tag: "D" },
};

/** One InfAdapter ResNet variant: accuracy, linear capacity at P99 ≤ 750 ms, and cold-start load time. */
export interface InfAdapterVariant {
  readonly name: string;
  /** ImageNet top-1 as used by InfAdapter, in [0, 1]. */
  readonly accuracy: number;
  /** Capacity slope, RPS per core (refit, cores 1,2,4,8,16 at SLA 750 ms). */
  readonly slopeRpsPerCore: number;
  /** Fitted intercept, RPS (InfAdapter truncates it with `int(min(b, 0.99))`; we keep the fit). */
  readonly interceptRps: number;
  /** Model load (cold start) time used in InfAdapter's transition cost, ms. */
  readonly loadTimeMs: number;
}

/** InfAdapter's capacity model data (docs/architecture.md#infadapter-resnet-capacities). */
export const INFADAPTER_RESNETS: { readonly variants: readonly InfAdapterVariant[]; readonly sloMs: number; readonly maxCores: number; readonly derate: number; readonly provenance: Provenance } = {
  variants: [
    { name: "resnet18", accuracy: 0.69758, slopeRpsPerCore: 24.45, interceptRps: -6.17, loadTimeMs: 6440 },
    { name: "resnet34", accuracy: 0.73314, slopeRpsPerCore: 13.04, interceptRps: -1.87, loadTimeMs: 6790 },
    { name: "resnet50", accuracy: 0.7613, slopeRpsPerCore: 10.32, interceptRps: -3.79, loadTimeMs: 6820 },
    { name: "resnet101", accuracy: 0.77374, slopeRpsPerCore: 5.09, interceptRps: 0.04, loadTimeMs: 7770 },
    { name: "resnet152", accuracy: 0.78312, slopeRpsPerCore: 3.81, interceptRps: -2.25, loadTimeMs: 8520 },
  ],
  sloMs: 750,
  maxCores: 20,
  derate: 0.8,
  provenance: {
    source: "reconfigurable-ml-pipeline/InfAdapter auto_tuner/adapter/capacity_result_Feb_21.csv, starter.py (load_times)",
    tag: "D",
    note: "slopes/intercepts refit in docs/architecture.md#infadapter-resnet-capacities; load times read in code [R]",
  },
};

/** A stage of IPA's video pipeline with its variants' published accuracies (fractions). */
export interface PaperStage {
  readonly stage: string;
  readonly metric: string;
  readonly variants: readonly { readonly name: string; readonly accuracy: number }[];
}

/** IPA's video-monitoring pipeline: YOLOv5 detector → ResNet classifier (docs/architecture.md#ipa-video-pipeline). */
export const IPA_VIDEO_PIPELINE: { readonly stages: readonly PaperStage[]; readonly provenance: Provenance } = {
  stages: [
    {
      stage: "detector",
      metric: "mAP",
      variants: [
        { name: "yolov5n", accuracy: 0.457 },
        { name: "yolov5s", accuracy: 0.568 },
        { name: "yolov5m", accuracy: 0.641 },
        { name: "yolov5l", accuracy: 0.673 },
        { name: "yolov5x", accuracy: 0.689 },
      ],
    },
    {
      stage: "classifier",
      metric: "top-1",
      variants: [
        { name: "resnet18", accuracy: 0.6975 },
        { name: "resnet34", accuracy: 0.7331 },
        { name: "resnet50", accuracy: 0.7613 },
        { name: "resnet101", accuracy: 0.7737 },
        { name: "resnet152", accuracy: 0.7831 },
      ],
    },
  ],
  provenance: { source: "reconfigurable-ml-pipeline/ipa data/configs/accuracies.yaml", tag: "R" },
};
