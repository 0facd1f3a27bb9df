import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { cpuMilli, isClaimable, isLabelValue, outranksOnScaleDown, toStagePod, type StagePod } from "./pods.js";

const labels = { "app.kubernetes.io/name": "stage-classifier-mlp", "fulcrum.dev/stage": "classifier", "fulcrum.dev/variant": "mlp" };

describe("stage pods", () => {
  it("cpuMilli parses CPU quantities and refuses what it cannot read", () => {
    expect([cpuMilli("2"), cpuMilli("500m"), cpuMilli("1.5"), cpuMilli(" 3 "), cpuMilli("2Gi"), cpuMilli(undefined)]).toEqual([2000, 500, 1500, 3000, undefined, undefined]);
  });

  it("toStagePod reads claim, gate, readiness, CPU in spec and applied, and resize conditions", () => {
    const pod: V1Pod = {
      metadata: { name: "p1", labels: { ...labels, "fulcrum.dev/instance": "classifier-0", "fulcrum.dev/run": "r1" }, creationTimestamp: new Date(1000) },
      spec: { nodeName: "n1", containers: [{ name: "stage", resources: { limits: { cpu: "2" } } }] },
      status: {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True" },
          { type: "PodResizePending", status: "True", reason: "Deferred", message: "no room" },
        ],
        containerStatuses: [{ name: "stage", ready: true, restartCount: 0, image: "", imageID: "", resources: { limits: { cpu: "1" } } }],
      },
    };
    expect(toStagePod(pod, "stage")).toEqual({
      name: "p1", deployment: "stage-classifier-mlp", stage: "classifier", variant: "mlp", instance: "classifier-0", run: "r1",
      gated: false, scheduled: true, ready: true, terminating: false, phase: "Running", cpuMilli: 2000, appliedCpuMilli: 1000,
      resizePending: { reason: "Deferred", message: "no room" }, resizing: false, createdMs: 1000,
    });
    expect(toStagePod({ metadata: { name: "x", labels: {} } }, "stage")).toBeUndefined();
    const gated = toStagePod({ metadata: { name: "g", labels }, spec: { containers: [], schedulingGates: [{ name: "fulcrum.dev/claim" }] } }, "stage")!;
    expect([gated.gated, gated.scheduled, gated.phase, isClaimable(gated)]).toEqual([true, false, "Pending", true]);
    expect(isClaimable({ ...gated, terminating: true })).toBe(false);
  });

  it("outranksOnScaleDown follows the ReplicaSet's order: unscheduled, pending, not ready come before the deletion cost", () => {
    const ready = { scheduled: true, phase: "Running", ready: true } as StagePod;
    expect(outranksOnScaleDown(ready, ready)).toBe(false);
    expect(outranksOnScaleDown({ ...ready, ready: false }, ready)).toBe(true);
    expect(outranksOnScaleDown({ ...ready, scheduled: false, phase: "Pending" }, ready)).toBe(true);
    expect(outranksOnScaleDown(ready, { ...ready, ready: false })).toBe(false);
  });

  it("isLabelValue accepts what a label value may be", () => {
    expect(["classifier-k3x-0", "a", "a.b_c", ""].map(isLabelValue)).toEqual([true, true, true, true]);
    expect(["-a", "a b", "x".repeat(64)].map(isLabelValue)).toEqual([false, false, false]);
  });
});
