import { INFADAPTER_RESNETS, IPA_VIDEO_PIPELINE, SPONGE_YOLOV5_GRID, SPONGE_YOLOV5_REPORTED_FIT } from "./paper-data.js";
import { PROFILE_SCHEMA_VERSION, ProfileSchema, type Profile } from "./profile-schema.js";

const yoloAccuracy = IPA_VIDEO_PIPELINE.stages.find((s) => s.stage === "detector")!.variants.find((v) => v.name === "yolov5n")!.accuracy;

/**
 * Sponge's YOLOv5 profile as a profile document: its full 30-point batch × cores grid
 * ({@link SPONGE_YOLOV5_GRID}, digits kept) at the statistic `reported` (the notebook does not say
 * which statistic it holds), and the curve_fit coefficients Sponge reports for it. The simulator
 * plans with the reported fit (as Sponge did) and can check it against the points.
 */
export const SPONGE_YOLOV5_PROFILE: Profile = ProfileSchema.parse({
  schemaVersion: PROFILE_SCHEMA_VERSION,
  family: "sponge-yolov5",
  createdAt: "2024-04-22T00:00:00Z",
  statistics: ["reported"],
  defaultStatistic: "reported",
  provenance: {
    kind: "paper",
    source: SPONGE_YOLOV5_GRID.provenance.source,
    method: "profiled by Sponge on its testbed; b ∈ {1,2,4,8,16} × c ∈ {1,…,32}, latencies stored in seconds, converted to ms",
    tag: SPONGE_YOLOV5_GRID.provenance.tag,
    note: `${SPONGE_YOLOV5_GRID.provenance.note ?? ""}; reportedFit: ${SPONGE_YOLOV5_REPORTED_FIT.provenance.source}`,
  },
  variants: [
    {
      // Sponge profiled yolov5n (profiling config euromlsys.yaml); its mAP is IPA's published one.
      name: "yolov5n",
      accuracy: yoloAccuracy,
      accuracySource: "published",
      points: SPONGE_YOLOV5_GRID.points.map((p) => ({ batch: p.batch, cores: p.cores, reportedMs: p.latencyMs })),
      reportedFit: { ...SPONGE_YOLOV5_REPORTED_FIT.coefficients, rmseMs: SPONGE_YOLOV5_REPORTED_FIT.rmseMs, statistic: "reported", source: SPONGE_YOLOV5_REPORTED_FIT.provenance.source },
    },
  ],
});

/**
 * InfAdapter's ResNet capacity models as a profile document (docs/architecture.md#infadapter-resnet-capacities): per variant,
 * capacity at P99 ≤ 750 ms linear in cores (refit of its capacity CSV on cores 1, 2, 4, 8, 16),
 * published top-1 accuracy and the load times of its transition cost. No latency points: the
 * paper publishes capacities only. InfAdapter derates capacity by {@link INFADAPTER_RESNETS}.derate.
 */
export const INFADAPTER_RESNET_PROFILE: Profile = ProfileSchema.parse({
  schemaVersion: PROFILE_SCHEMA_VERSION,
  family: "infadapter-resnet",
  createdAt: "2023-05-08T00:00:00Z",
  statistics: ["p99"],
  defaultStatistic: "p99",
  provenance: {
    kind: "paper",
    source: INFADAPTER_RESNETS.provenance.source,
    method: "binary search of the largest Poisson rate with P99 ≤ SLA per (variant, cores), TF Serving, batch 1; linear fit on cores",
    tag: INFADAPTER_RESNETS.provenance.tag,
    note: INFADAPTER_RESNETS.provenance.note,
  },
  variants: INFADAPTER_RESNETS.variants.map((v) => ({
    name: v.name,
    accuracy: v.accuracy,
    accuracySource: "published",
    loadTimeMs: v.loadTimeMs,
    points: [],
    capacity: {
      sloMs: INFADAPTER_RESNETS.sloMs,
      statistic: "p99",
      slopeRpsPerCore: v.slopeRpsPerCore,
      interceptRps: v.interceptRps,
      coresMeasured: [1, 2, 4, 8, 16],
    },
  })),
});

/** The paper-derived profile sets by family name. */
export const PAPER_PROFILES: Readonly<Record<string, Profile>> = {
  [SPONGE_YOLOV5_PROFILE.family]: SPONGE_YOLOV5_PROFILE,
  [INFADAPTER_RESNET_PROFILE.family]: INFADAPTER_RESNET_PROFILE,
};
