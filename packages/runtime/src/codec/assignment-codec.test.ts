import { control } from "@fulcrum/proto";
import { describe, expect, it } from "vitest";
import { toDomainAssignment, toPbAssignment } from "./assignment-codec.js";

const pb = (over: Partial<control.Assignment> = {}): control.Assignment =>
  control.Assignment.fromPartial({
    pipeline: "video",
    version: 3,
    policy: "fulcrum",
    createdUnixMs: 10,
    stages: [{ stage: "classifier", variants: [{ variant: "resnet18", weight: 0.25, batch: 4, coresPerReplica: 1, replicas: 1 }, { variant: "resnet50", weight: 0.75, batch: 2, coresPerReplica: 2, replicas: 2 }] }],
    ...over,
  });

describe("assignment codec", () => {
  it("round-trips through the wire format", () => {
    const domain = toDomainAssignment(control.Assignment.decode(control.Assignment.encode(pb()).finish()));
    expect(domain.stages[0]?.variants[1]).toEqual({ variant: "resnet50", weight: 0.75, batch: 2, coresPerReplica: 2, replicas: 2 });
    expect(toPbAssignment(domain, "optimal")).toEqual({ ...pb(), reason: "optimal" });
  });

  it("encodes a decision time from a sub-ms clock (int64 carries whole ms)", () => {
    const domain = { ...toDomainAssignment(pb()), createdAtMs: 1_796_016_092_255.14 };
    const wire = control.Assignment.decode(control.Assignment.encode(toPbAssignment(domain)).finish());
    expect(wire.createdUnixMs).toBe(1_796_016_092_255);
  });

  it.each([
    [{ pipeline: "" }, "pipeline: is empty"],
    [{ version: 0 }, "version: must be an integer ≥ 1"],
    [{ stages: [{ stage: "s", variants: [] }] }, 'stages[0].variants: stage "s" has no variants'],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 0.5, batch: 1, coresPerReplica: 1, replicas: 1 }] }] }, 'stages[0].variants: weights of stage "s" sum to 0.5'],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 1, batch: 0, coresPerReplica: 1, replicas: 1 }] }] }, "stages[0].variants[0].batch: must be ≥ 1"],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 1, batch: 1, coresPerReplica: 1, replicas: 0 }] }] }, "stages[0].variants[0].replicas"],
  ])("rejects %j naming the field", (over, message) => {
    expect(() => toDomainAssignment(pb(over as Partial<control.Assignment>))).toThrow(message);
  });

  const limits = { maxCoresPerReplica: 2, maxBatch: 64, maxReplicas: 8, maxTotalCores: 8 };
  const one = (v: Partial<control.VariantAllocation>): Partial<control.Assignment> => ({ stages: [{ stage: "s", variants: [{ variant: "a", weight: 1, batch: 1, coresPerReplica: 1, replicas: 1, ...v }] }] });
  it.each<[string, Partial<control.Assignment>, string]>([
    ["10⁹ replicas", one({ replicas: 1e9 }), "stages[0].variants[0].replicas: 1000000000 is above the limit of 8 (maxReplicas)"],
    ["64 cores on a 2-core budget", one({ coresPerReplica: 64 }), "stages[0].variants[0].cores_per_replica: 64 is above the limit of 2 (maxCoresPerReplica)"],
    ["batch 4096", one({ batch: 4096 }), "stages[0].variants[0].batch: 4096 is above the limit of 64 (maxBatch)"],
    ["replicas in all", { stages: [{ stage: "s", variants: [{ variant: "a", weight: 0.5, batch: 1, coresPerReplica: 1, replicas: 5 }, { variant: "b", weight: 0.5, batch: 1, coresPerReplica: 1, replicas: 5 }] }] }, "stages: 10 replicas in all, above the limit of 8 (maxReplicas)"],
    ["cores in all", one({ coresPerReplica: 2, replicas: 5 }), "stages: 10 cores in all, above the limit of 8 (maxTotalCores)"],
  ])("refuses %s beyond the consumer's limits, naming the field", (_name, over, message) => {
    expect(() => toDomainAssignment(pb(over), limits)).toThrow(message);
    expect(() => toDomainAssignment(pb(one({ coresPerReplica: 2, replicas: 4, batch: 64 })), limits)).not.toThrow();
  });

  it("applies the protocol's own limits when the consumer gives none", () => {
    expect(() => toDomainAssignment(pb(one({ replicas: 1e9 })))).toThrow("stages[0].variants[0].replicas: 1000000000 is above the limit of 10000 (maxReplicas)");
  });
});
