import type { MeasuredLatency } from "./perf-model.js";
import type { SpongeCoefficients } from "./latency-model.js";

/** Where a paper-derived number comes from (provenance tags, docs/architecture.md#provenance-tags: R = read in code, D = derived). */
export interface Provenance {
  readonly source: string;
  readonly tag: "R" | "D" | "A" | "S";
  readonly note?: string;
}

/**
 * Sponge's YOLOv5 latency profile (`experiments/runner/notebooks/algorithms.ipynb`), as far as
 * docs/architecture.md#sponge-yolov5-grid states it: ONLY the b=1 and b=16 rows of the b ∈ {1,2,4,8,16} × c ∈
 * {1,2,4,8,16,32} grid are given there; the b=2,4,8 rows are not reconstructed (no invented data).
 */
export const SPONGE_YOLOV5_GRID: {
  readonly points: readonly MeasuredLatency[];
  readonly complete: false;
  readonly provenance: Provenance;
} = {
  points: [
    ...([46, 29, 18, 12.4, 13.0, 12.6] as const).map((latencyMs, i) => ({ batch: 1, cores: 2 ** i, latencyMs })),
    ...([384, 222, 169, 115, 88, 86] as const).map((latencyMs, i) => ({ batch: 16, cores: 2 ** i, latencyMs })),
  ],
  complete: false,
  provenance: {
    source: "saeid93/sponge experiments/runner/notebooks/algorithms.ipynb via docs/architecture.md#sponge-yolov5-grid",
    tag: "R",
    note: "12 of 30 points (rows b=1 and b=16); rows b=2,4,8 are not stated in the brief",
  },
};

/**
 * The refit over the FULL 30-point grid reported in docs/architecture.md#sponge-yolov5-grid (RMSE 15.2 ms, max error
 * −58 ms at b=8, c=1). Refitting the 12 stated points recovers γ and δ within a few percent but not
 * ε and η (the b=2..8 rows carry that information).
 */
export const SPONGE_YOLOV5_REPORTED_FIT: { readonly coefficients: SpongeCoefficients; readonly rmseMs: number; readonly provenance: Provenance } = {
  coefficients: { gammaMs: 18.29, deltaMs: 4.488, epsilonMs: 45.47, etaMs: 1.05 },
  rmseMs: 15.2,
  provenance: { source: "docs/architecture.md#sponge-yolov5-grid (curve_fit refit of the 30-point grid)", tag: "D" },
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
