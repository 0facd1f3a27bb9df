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
    [{ version: 0 }, "version: must be ≥ 1"],
    [{ stages: [{ stage: "s", variants: [] }] }, 'stages[0].variants: stage "s" has no variants'],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 0.5, batch: 1, coresPerReplica: 1, replicas: 1 }] }] }, 'stages[0].variants: weights of stage "s" sum to 0.5'],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 1, batch: 0, coresPerReplica: 1, replicas: 1 }] }] }, "stages[0].variants[0].batch: must be ≥ 1"],
    [{ stages: [{ stage: "s", variants: [{ variant: "a", weight: 1, batch: 1, coresPerReplica: 1, replicas: 0 }] }] }, "stages[0].variants[0].replicas"],
  ])("rejects %j naming the field", (over, message) => {
    expect(() => toDomainAssignment(pb(over as Partial<control.Assignment>))).toThrow(message);
  });
});
