import type { RegistryRecord } from "@fulcrum/core/control";
import { describe, expect, it } from "vitest";
import { RolloutWatch } from "./rollout-watch.js";

const entry = (instance: string, heartbeatMs: number, assignmentVersion = 0, state: RegistryRecord["state"] = "ready"): RegistryRecord =>
  ({ pipeline: "p", stage: "classifier", instance, address: "127.0.0.1:1", variant: "mlp", cores: 1, batch: 4, assignmentVersion, state, startedMs: 0, heartbeatMs, variants: ["mlp"] });

describe("RolloutWatch", () => {
  it("re-sends a version not acked in time naming the silent replicas, then gives up after ackRetries", () => {
    const w = new RolloutWatch({ ackTimeoutMs: 1000, ackRetries: 1, replicaStaleMs: 60_000 });
    w.seen(entry("a", 0));
    w.seen(entry("b", 0));
    w.published(3, new Set(["classifier"]), 0);
    w.acked(3, "classifier", "a");
    expect(w.tick(999)).toEqual({ vanished: [] });
    expect(w.tick(1000).overdue).toEqual({ version: 3, missing: ["classifier/b"], attempt: 1, gaveUp: false });
    expect(w.tick(1500).overdue).toBeUndefined();
    expect(w.tick(2000).overdue).toEqual({ version: 3, missing: ["classifier/b"], attempt: 2, gaveUp: true });
    expect(w.tick(5000).overdue).toBeUndefined();
  });

  it("counts a heartbeat carrying the version as its ack, and expects nothing of other stages or non-ready replicas", () => {
    const w = new RolloutWatch({ ackTimeoutMs: 1000, ackRetries: 3, replicaStaleMs: 60_000 });
    w.seen(entry("a", 0));
    w.seen(entry("starting", 0, 0, "starting"));
    w.published(4, new Set(["classifier"]), 0);
    w.seen(entry("a", 500, 4));
    expect(w.tick(2000).overdue).toBeUndefined();
    w.published(5, new Set(["detector"]), 2000);
    expect(w.tick(4000).overdue).toBeUndefined();
  });

  it("reports a replica whose heartbeat stopped as vanished, once, and stops expecting its ack; a deregistered one is simply gone", () => {
    const w = new RolloutWatch({ ackTimeoutMs: 1000, ackRetries: 3, replicaStaleMs: 3000 });
    w.seen(entry("a", 0));
    w.seen(entry("b", 0));
    w.seen(entry("c", 0));
    expect(w.live).toBe(3);
    w.published(2, new Set(["classifier"]), 0);
    w.acked(2, "classifier", "a");
    w.gone("classifier", "c");
    w.seen(entry("a", 2500, 2));
    const check = w.tick(3500);
    expect(check.vanished).toEqual(["classifier/b"]);
    expect(check.overdue).toBeUndefined();
    expect(w.tick(3600).vanished).toEqual([]);
    expect(w.live).toBe(1);
  });
});
