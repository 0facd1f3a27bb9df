import type { RegistryRecord } from "@fulcrum/core/control";
import { describe, expect, it } from "vitest";
import { StartupEstimate, withLearnedStartup } from "./startup-estimate.js";

const rec = (o: Partial<RegistryRecord>): RegistryRecord => ({
  pipeline: "p", stage: "s", instance: "s-0", address: "127.0.0.1:1", variant: "v", cores: 1, batch: 1,
  assignmentVersion: 1, heartbeatMs: 0, startedMs: 0, state: "ready", variants: ["v"], ...o,
});

describe("StartupEstimate", () => {
  const make = (window?: number) => new StartupEstimate({ watchStartedMs: 1000, loadTimeMs: (v) => (v === "big" ? 500 : 100), ...(window !== undefined ? { window } : {}) });

  it("measures first ready heartbeat − process start − the variant's load time, once per process", () => {
    const e = make();
    expect(e.medianMs).toBeUndefined();
    expect(e.observe(rec({ startedMs: 2000, heartbeatMs: 5500 }))).toBe(3400);
    // Later heartbeats of the same process are not start-ups.
    expect(e.observe(rec({ startedMs: 2000, heartbeatMs: 9000 }))).toBeUndefined();
    expect(e.observe(rec({ instance: "s-1", variant: "big", startedMs: 3000, heartbeatMs: 7500 }))).toBe(4000);
    expect(e.count).toBe(2);
    expect(e.medianMs).toBe(3700);
  });

  it("a restarted process under the same instance name is a new start-up", () => {
    const e = make();
    e.observe(rec({ startedMs: 2000, heartbeatMs: 4100 }));
    expect(e.observe(rec({ startedMs: 10_000, heartbeatMs: 13_100 }))).toBe(3000);
  });

  it("uses the replica's own ready time when it reports one: any replica, whenever the optimizer first sees it", () => {
    const e = make();
    // Started before the optimizer, seen a minute after it turned ready, now draining: still its start-up.
    expect(e.observe(rec({ startedMs: 200, readyMs: 3700, heartbeatMs: 60_000, state: "draining" }))).toBe(3400);
    expect(e.observe(rec({ startedMs: 200, readyMs: 3700, heartbeatMs: 62_000 }))).toBeUndefined();
    expect(e.medianMs).toBe(3400);
  });

  it("without a reported ready time, ignores replicas started before the watch, and entries not ready", () => {
    const e = make();
    expect(e.observe(rec({ startedMs: 500, heartbeatMs: 60_000 }))).toBeUndefined();
    expect(e.observe(rec({ instance: "s-1", startedMs: 2000, heartbeatMs: 4000, state: "draining" }))).toBeUndefined();
    expect(e.medianMs).toBeUndefined();
  });

  it("keeps the last `window` start-ups; the median is of those", () => {
    const e = make(3);
    for (const [i, ms] of [10_000, 1000, 2000, 3000].entries()) e.observe(rec({ instance: `s-${i}`, startedMs: 2000, heartbeatMs: 2000 + ms + 100 }));
    expect(e.count).toBe(3);
    expect(e.medianMs).toBe(2000);
  });

  it("refuses a window that is not a positive integer", () => {
    expect(() => make(0)).toThrow(/window must be an integer ≥ 1, got 0/);
  });
});

describe("withLearnedStartup", () => {
  it("tells a policy that prices actuation the learned start-up, rounded", () => {
    expect(withLearnedStartup({ shareUnits: 4 }, true, 3436.6)).toEqual({ shareUnits: 4, replicaStartMs: 3437 });
  });
  it("keeps an explicit replicaStartMs, a policy that does not price actuation, and the config before anything is learned", () => {
    const explicit = { replicaStartMs: 123 };
    expect(withLearnedStartup(explicit, true, 3000)).toBe(explicit);
    const ipa = { maxBatch: 8 };
    expect(withLearnedStartup(ipa, false, 3000)).toBe(ipa);
    expect(withLearnedStartup(ipa, true, undefined)).toBe(ipa);
  });
});
