import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { allocationForReplica, decide, type Running } from "./control.js";
import type { Assignment } from "./protos.js";

const config = loadConfig({ FULCRUM_STAGE_PIPELINE: "p", FULCRUM_STAGE_STAGE: "pre", FULCRUM_STAGE_INSTANCE: "i0", FULCRUM_STAGE_REPLICA_INDEX: "1" });
const running: Running = { variant: "bilinear", cores: 1, batch: 8, version: 4 };
const assignment = (version: number, variants: Assignment["stages"][number]["variants"], stage = "pre"): Assignment => ({
  pipeline: "p", version, policy: "test", createdUnixMs: 0, reason: "", stages: [{ stage, variants }],
});
const alloc = (variant: string, replicas: number, weight = 1, batch = 4, coresPerReplica = 2) => ({ variant, weight, batch, coresPerReplica, replicas });

describe("assignment handling", () => {
  it("maps replicas to variants by consecutive ranges", () => {
    const vs = [alloc("a", 2, 0.7), alloc("b", 1, 0.3)];
    expect([0, 1, 2, 3].map((i) => allocationForReplica(vs, i)?.variant)).toEqual(["a", "a", "b", "a"]);
  });

  it("applies a newer version naming its variant, changing batch and cores in place", () => {
    const d = decide(assignment(5, [alloc("bilinear", 2)]), config, running, 1010, 1000);
    expect(d?.running).toEqual({ variant: "bilinear", cores: 2, batch: 4, version: 5 });
    expect(d?.ack).toEqual({ pipeline: "p", stage: "pre", instance: "i0", version: 5, applied: true, applyMs: 10, appliedUnixMs: 1010, error: "" });
  });

  it("ignores versions it already passed and other pipelines", () => {
    expect(decide(assignment(4, [alloc("bilinear", 2)]), config, running, 0, 0)).toBeUndefined();
    expect(decide({ ...assignment(9, [alloc("bilinear", 2)]), pipeline: "q" }, config, running, 0, 0)).toBeUndefined();
  });

  it("refuses, with the reason, another variant or a version without its stage, keeping its configuration", () => {
    const other = decide(assignment(5, [alloc("bilinear", 1), alloc("area", 1)]), config, running, 0, 0);
    expect(other?.ack).toMatchObject({ applied: false, error: 'variant "area" is not served here: this stage has one variant, "bilinear"' });
    expect(other?.running).toEqual({ ...running, version: 5 });
    expect(decide(assignment(6, [alloc("x", 1)], "classifier"), config, running, 0, 0)?.ack).toMatchObject({ applied: false, error: 'assignment v6 does not name stage "pre"' });
  });

  it("fails fast on bad configuration, listing every problem", () => {
    expect(() => loadConfig({ FULCRUM_STAGE_STAGE: "a.b", FULCRUM_STAGE_CHANNELS: "2", FULCRUM_STAGE_COLOUR: "x" })).toThrow(
      /FULCRUM_STAGE_COLOUR: unknown key[\s\S]*FULCRUM_STAGE_CHANNELS: expected 1 or 3, got 2[\s\S]*FULCRUM_STAGE_PIPELINE: required[\s\S]*FULCRUM_STAGE_STAGE: "a.b" must match/,
    );
  });
});
