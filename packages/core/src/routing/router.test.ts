import { describe, expect, it } from "vitest";
import type { Assignment } from "../assignment/index.js";
import { eligibleReplicas, leastOutstanding, type ReplicaInfo } from "./replica-choice.js";
import { Router } from "./router.js";

const NOW = 1_000_000;
const replica = (over: Partial<ReplicaInfo> = {}): ReplicaInfo => ({ instance: "i0", stage: "s", address: "127.0.0.1:1", variant: "a", state: "ready", heartbeatMs: NOW, ...over });
const assignment = (version: number, weights: Record<string, number>): Assignment => ({
  pipeline: "p",
  version,
  policy: "test",
  createdAtMs: NOW,
  stages: [{ stage: "s", variants: Object.entries(weights).map(([variant, weight]) => ({ variant, weight, batch: 1, coresPerReplica: 1, replicas: 1 })) }],
});

describe("eligibleReplicas", () => {
  it.each([
    ["ready and fresh", replica(), true],
    ["draining", replica({ state: "draining" }), false],
    ["starting", replica({ state: "starting" }), false],
    ["stale heartbeat", replica({ heartbeatMs: NOW - 6001 }), false],
    ["heartbeat exactly at the limit", replica({ heartbeatMs: NOW - 6000 }), true],
  ])("%s → %s", (_n, r, ok) => {
    expect(eligibleReplicas([r], { nowMs: NOW, staleMs: 6000 })).toHaveLength(ok ? 1 : 0);
  });

  it("skips tried and ejected replicas until the ejection ends", () => {
    const rs = [replica({ instance: "x" }), replica({ instance: "y" }), replica({ instance: "z" })];
    const got = eligibleReplicas(rs, { nowMs: NOW, staleMs: 10, exclude: new Set(["x"]), ejectedUntil: new Map([["y", NOW + 1]]) });
    expect(got.map((r) => r.instance)).toEqual(["z"]);
    expect(eligibleReplicas(rs, { nowMs: NOW + 1, staleMs: 10, ejectedUntil: new Map([["y", NOW + 1]]) })).toHaveLength(3);
  });
});

describe("leastOutstanding", () => {
  it("prefers the replica with fewer calls in flight and rotates ties", () => {
    const rs = [replica({ instance: "a" }), replica({ instance: "b" }), replica({ instance: "c" })];
    expect(leastOutstanding(rs, new Map([["a", 2], ["b", 0], ["c", 1]]), 0)?.instance).toBe("b");
    const ties = [0, 1, 2, 3].map((t) => leastOutstanding(rs, new Map([["c", 5]]), t)?.instance);
    expect(ties).toEqual(["a", "b", "a", "b"]);
    expect(leastOutstanding([], new Map(), 0)).toBeUndefined();
  });
});

describe("Router", () => {
  it("splits a stage's calls by the assignment's weights, then by replica of the chosen variant", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    r.upsertReplica("p", replica({ instance: "a0", variant: "a" }));
    r.upsertReplica("p", replica({ instance: "a1", variant: "a" }));
    r.upsertReplica("p", replica({ instance: "b0", variant: "b" }));
    expect(r.applyAssignment(assignment(1, { a: 0.75, b: 0.25 }))).toBe(true);
    const picks = Array.from({ length: 400 }, () => r.route("p", "s", NOW)!);
    expect(picks.filter((x) => x.replica.variant === "a")).toHaveLength(300);
    expect(picks.every((x) => x.matched && x.wantedVariant === x.replica.variant)).toBe(true);
    expect(picks.filter((x) => x.replica.instance === "a0")).toHaveLength(150);
  });

  it("applies only newer assignment versions", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    expect(r.applyAssignment(assignment(2, { a: 1 }))).toBe(true);
    expect(r.applyAssignment(assignment(2, { b: 1 }))).toBe(false);
    expect(r.applyAssignment(assignment(1, { b: 1 }))).toBe(false);
    expect(r.assignment("p")?.stages[0]?.variants[0]?.variant).toBe("a");
  });

  it("routes to any live replica when no assigned variant is live, and to nothing when none is", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    expect(r.route("p", "s", NOW)).toBeUndefined();
    r.upsertReplica("p", replica({ instance: "c0", variant: "c" }));
    r.applyAssignment(assignment(1, { a: 0.5, b: 0.5 }));
    expect(r.route("p", "s", NOW)).toMatchObject({ matched: false, wantedVariant: undefined, replica: { instance: "c0" } });
    r.upsertReplica("p", replica({ instance: "b0", variant: "b" }));
    expect(Array.from({ length: 4 }, () => r.route("p", "s", NOW)!.replica.instance)).toEqual(["b0", "b0", "b0", "b0"]);
  });

  it("ejects a failed replica for ejectMs and forgets removed ones", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    r.upsertReplica("p", replica({ instance: "x" }));
    r.upsertReplica("p", replica({ instance: "y" }));
    r.eject("x", NOW);
    expect(Array.from({ length: 3 }, () => r.route("p", "s", NOW + 999)!.replica.instance)).toEqual(["y", "y", "y"]);
    expect(new Set(Array.from({ length: 4 }, () => r.route("p", "s", NOW + 1000)!.replica.instance))).toEqual(new Set(["x", "y"]));
    r.removeReplica("p", "s", "y");
    expect(r.replicasOf("p", "s").map((x) => x.instance)).toEqual(["x"]);
  });

  it("balances by outstanding calls between replicas of one variant", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    r.upsertReplica("p", replica({ instance: "x" }));
    r.upsertReplica("p", replica({ instance: "y" }));
    r.begin("x");
    r.begin("x");
    expect(r.route("p", "s", NOW)!.replica.instance).toBe("y");
    r.end("x");
    r.end("x");
    expect(r.outstandingOf("x")).toBe(0);
  });
});

describe("Router while the control plane is away", () => {
  it("keeps routing to replicas whose heartbeats went stale, until a failure ejects them", () => {
    const r = new Router({ staleMs: 5000, ejectMs: 1000 });
    r.upsertReplica("p", replica({ instance: "x", heartbeatMs: NOW - 60_000 }));
    r.upsertReplica("p", replica({ instance: "y", heartbeatMs: NOW - 60_000 }));
    expect(r.route("p", "s", NOW)).toBeUndefined();
    r.setControlPlaneAway(true);
    expect(r.liveReplicas("p", "s", NOW).map((x) => x.instance)).toEqual(["x", "y"]);
    r.eject("x", NOW);
    expect(Array.from({ length: 3 }, () => r.route("p", "s", NOW)!.replica.instance)).toEqual(["y", "y", "y"]);
    r.readmit("x");
    expect(r.liveReplicas("p", "s", NOW)).toHaveLength(2);
    // Draining replicas stay out whatever the control plane does.
    r.upsertReplica("p", replica({ instance: "x", state: "draining", heartbeatMs: NOW - 60_000 }));
    expect(r.liveReplicas("p", "s", NOW).map((x) => x.instance)).toEqual(["y"]);
    r.setControlPlaneAway(false);
    expect(r.route("p", "s", NOW)).toBeUndefined();
  });
});
