import { describe, expect, it } from "vitest";
import { InvalidSubjectTokenError, KV_BUCKETS, kvKeys, subjects } from "./subjects.js";

describe("subjects", () => {
  it("builds the control-plane subjects of docs/architecture.md#control-plane", () => {
    expect(subjects.stageMetrics("video", "detector", "i-1")).toBe("fulcrum.metrics.stage.video.detector.i-1");
    expect(subjects.stageMetricsAll()).toBe("fulcrum.metrics.stage.*.>");
    expect(subjects.stageMetricsAll("video")).toBe("fulcrum.metrics.stage.video.>");
    expect(subjects.gatewayMetrics("video")).toBe("fulcrum.metrics.gateway.video");
    expect(subjects.load("video")).toBe("fulcrum.load.video");
    expect(subjects.forecast("video")).toBe("fulcrum.forecast.video");
    expect(subjects.assignment("video")).toBe("fulcrum.assignment.video");
    expect(subjects.ack("video", "classifier", "a_b")).toBe("fulcrum.ack.video.classifier.a_b");
    expect(subjects.ackAll("video")).toBe("fulcrum.ack.video.>");
    expect(subjects.drain("video", "classifier", "i-1")).toBe("fulcrum.drain.video.classifier.i-1");
    expect(KV_BUCKETS).toEqual({ assignments: "fulcrum_assignments", registry: "fulcrum_registry", placements: "fulcrum_placements" });
    expect(kvKeys.placement("video", "detector", "i-1")).toBe("video.detector.i-1");
    expect(kvKeys.registry("video", "detector", "i-1")).toBe("video.detector.i-1");
  });

  it.each([
    ["pipeline", () => subjects.load("a.b"), "a.b"],
    ["pipeline", () => subjects.assignment("*"), "*"],
    ["stage", () => subjects.ack("p", "s >", "i"), "s >"],
    ["instance", () => subjects.stageMetrics("p", "s", ""), ""],
    ["instance", () => subjects.drain("p", "s", "i.>"), "i.>"],
  ])("rejects a %s name that would change the subject's shape", (field, build, value) => {
    expect(build).toThrow(InvalidSubjectTokenError);
    expect(build).toThrow(`${field} "${value}" is not a valid NATS subject token`);
  });
});
