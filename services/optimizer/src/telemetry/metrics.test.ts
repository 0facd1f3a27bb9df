import { describe, expect, it } from "vitest";
import { createOptimizerMetrics, recordAssignment } from "./metrics.js";

const variant = (name: string, replicas: number, coresPerReplica: number) => ({ variant: name, weight: replicas > 0 ? 0.5 : 0, batch: 4, coresPerReplica, replicas });

describe("optimizer metrics", () => {
  it("recordAssignment exports cores and the replicas decided per stage and variant; a variant dropped later disappears", async () => {
    const m = createOptimizerMetrics("fashion");
    recordAssignment(m, { stages: [{ stage: "classifier", variants: [variant("mlp", 2, 2), variant("linear", 1, 1)] }] });
    const series = async (): Promise<string[]> => (await m.registry.getSingleMetricAsString("fulcrum_optimizer_assigned_replicas")).split("\n").filter((l) => !l.startsWith("#"));
    expect(await series()).toEqual([
      'fulcrum_optimizer_assigned_replicas{stage="classifier",variant="mlp",pipeline="fashion"} 2',
      'fulcrum_optimizer_assigned_replicas{stage="classifier",variant="linear",pipeline="fashion"} 1',
    ]);
    expect((await m.coresAllocated.get()).values[0]!.value).toBe(5);
    recordAssignment(m, { stages: [{ stage: "classifier", variants: [variant("cnn-small", 3, 1)] }] });
    expect(await series()).toEqual(['fulcrum_optimizer_assigned_replicas{stage="classifier",variant="cnn-small",pipeline="fashion"} 3']);
  });
});
