import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ExperimentData } from "../experiment/build.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** A small experiment document (valid), for schema, planning and determinism tests. Override keys as needed. */
export function smallExperiment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "small",
    title: "small",
    description: "a two-stage test experiment",
    pipeline: { name: "video", stages: [{ name: "detector", variants: ["yolov5n", "yolov5s"] }, { name: "classifier", variants: ["resnet18", "resnet50"] }] },
    sloMs: 2000,
    workload: { trace: "twitter", patterns: { flat: { window: { segments: [[0, 120]] } }, ramp: { window: { segments: [[120, 240]] } } } },
    profiles: {
      paper: {
        stages: {
          detector: { source: "sponge-grid", file: "data/sponge/yolov5-grid.csv", variant: "yolov5n", scaleFrom: "profiles/yolo.json" },
          classifier: { source: "infadapter-capacity", file: "data/infadapter/capacity-resnet.csv" },
        },
      },
      measured: { stages: { detector: { source: "measured", file: "profiles/yolo.json" }, classifier: { source: "measured", file: "profiles/resnet.json" } } },
    },
    defaultProfiles: "paper",
    limits: { maxCores: 32, batches: [1, 2, 4], coresPerReplica: [1, 2, 4], maxReplicas: 8 },
    control: { intervalMs: 10000, forecast: { serve: "last-value", value: "point" } },
    actuation: { mode: "rolling", replicaStartMs: 2000, inPlaceChangeMs: 50 },
    policies: [
      { name: "ipa", policy: "ipa", baseAllocation: { thresholdRps: 4 } },
      { name: "fa2-low", policy: "fa2", config: { variants: { detector: "yolov5n", classifier: "resnet18" } } },
    ],
    ...overrides,
  };
}

/** Data for {@link smallExperiment}: a synthetic trace (flat 8 rps, then a ramp from 5 to 40) and the committed profile files. */
export function smallData(): ExperimentData {
  const twitter = [...new Array<number>(120).fill(8), ...Array.from({ length: 120 }, (_, i) => Math.round(5 + (35 * i) / 119))];
  const files = new Map(["data/sponge/yolov5-grid.csv", "profiles/yolo.json", "profiles/resnet.json", "data/infadapter/capacity-resnet.csv"].map((f) => [f, readFileSync(`${ROOT}${f}`, "utf8")]));
  return { twitter, files };
}
