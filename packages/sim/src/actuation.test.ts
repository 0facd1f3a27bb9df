import { describe, expect, it } from "vitest";
import { planStage, type ReplicaView } from "./actuation.js";

const r = (id: number, variant: string, cores: number, state: ReplicaView["state"] = "ready", batch = 1): ReplicaView => ({ id, variant, cores, batch, state });
const want = (variant: string, replicas: number, coresPerReplica: number, batch = 1) => ({ variant, weight: 1, batch, coresPerReplica, replicas });

describe("planStage", () => {
  it("keeps what already matches and does nothing else", () => {
    expect(planStage([r(0, "a", 2), r(1, "a", 2)], [want("a", 2, 2)], "in-place")).toEqual([]);
  });

  it("in place: resizes kept replicas, re-targets leftovers to missing variants, starts the rest, drains the surplus", () => {
    const plan = planStage([r(0, "a", 1), r(1, "b", 4), r(2, "c", 1)], [want("a", 1, 2, 4), want("d", 2, 1)], "in-place");
    expect(plan).toEqual([
      { kind: "retarget", replica: 0, variant: "a", cores: 2, batch: 4 },
      { kind: "retarget", replica: 1, variant: "d", cores: 1, batch: 1 },
      { kind: "retarget", replica: 2, variant: "d", cores: 1, batch: 1 },
    ]);
    const grow = planStage([r(0, "a", 1)], [want("a", 3, 1)], "in-place");
    expect(grow).toEqual([{ kind: "start", variant: "a", cores: 1, batch: 1 }, { kind: "start", variant: "a", cores: 1, batch: 1 }]);
    expect(planStage([r(0, "a", 1), r(1, "a", 1)], [want("a", 1, 1)], "in-place")).toEqual([{ kind: "drain", replica: 1, when: "now" }]);
  });

  it("rolling: a new size is a new replica; the old one drains once the new ones are ready", () => {
    expect(planStage([r(0, "a", 20)], [want("a", 1, 8)], "rolling")).toEqual([
      { kind: "start", variant: "a", cores: 8, batch: 1 },
      { kind: "drain", replica: 0, when: "after-starts" },
    ]);
    // A batch change alone stays in place.
    expect(planStage([r(0, "a", 2, "ready", 1)], [want("a", 1, 2, 8)], "rolling")).toEqual([{ kind: "retarget", replica: 0, variant: "a", cores: 2, batch: 8 }]);
  });

  it("recreate: the replaced replica drains at once", () => {
    expect(planStage([r(0, "a", 20)], [want("b", 1, 8)], "recreate")).toEqual([
      { kind: "start", variant: "b", cores: 8, batch: 1 },
      { kind: "drain", replica: 0, when: "now" },
    ]);
  });

  it("prefers ready replicas, leaves draining ones alone and ignores allocations without traffic", () => {
    const plan = planStage([r(0, "a", 1, "starting"), r(1, "a", 1), r(2, "a", 1, "draining")], [want("a", 1, 1), { ...want("b", 1, 1), weight: 0 }], "in-place");
    expect(plan).toEqual([{ kind: "drain", replica: 0, when: "now" }]);
  });
});
