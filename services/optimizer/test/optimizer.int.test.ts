import { request } from "node:http";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, installInMemoryTracing, testNatsUrl, toDomainAssignment, toPbAssignment, type Bus } from "@fulcrum/runtime";
import type { Assignment } from "@fulcrum/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveOptimizerConfig, startOptimizer, type OptimizerHandle } from "../src/index.js";

const exporter = installInMemoryTracing();
const natsUrl = testNatsUrl();
const logger = createLogger({ service: "optimizer-test", level: "silent" });
const INTERVAL_MS = 1000;
const run = `${process.pid}-${Date.now().toString(36)}`;

const fit = (gammaMs: number, etaMs: number) => ({ fit: { gammaMs, deltaMs: 0, epsilonMs: 0, etaMs } });
const spec = {
  sloMs: 500,
  stages: [
    { name: "detector", variants: [{ name: "det-s", accuracy: 0.55, perf: fit(20, 2) }, { name: "det-m", accuracy: 0.64, perf: fit(60, 3) }] },
    { name: "classifier", variants: [{ name: "cls-18", accuracy: 0.7, loadTimeMs: 500, perf: fit(40, 1) }, { name: "cls-50", accuracy: 0.76, loadTimeMs: 800, perf: fit(100, 1) }] },
  ],
  edges: [["detector", "classifier"]],
};

async function start(bus: Bus, pipeline: string, over: Record<string, unknown> = {}): Promise<OptimizerHandle> {
  const config = resolveOptimizerConfig({
    pipeline, spec, policy: "fulcrum", policyConfig: { shareUnits: 4 }, intervalMs: INTERVAL_MS, forecastMaxAgeMs: 60_000, metricsPort: 0,
    limits: { maxCores: 24, batches: [1, 2, 4], coresPerReplica: [1, 2, 4], maxReplicas: 6 },
    ...over,
  });
  return startOptimizer(config, { bus, logger });
}

function forecast(pipeline: string, peakRps: number, createdUnixMs = Date.now()): control.Forecast {
  return { pipeline, createdUnixMs, horizonS: 10, peakRps, upperRps: peakRps * 1.1, coverage: 0.9, model: "test", historySamples: 60 };
}

/** Resolves with the first decoded Assignment on the pipeline's subject. */
function nextAssignment(bus: Bus, pipeline: string): Promise<{ assignment: Assignment; reason: string }> {
  return new Promise((resolve) => {
    const sub = bus.subscribe(subjects.assignment(pipeline), control.Assignment, (pb) => {
      resolve({ assignment: toDomainAssignment(pb), reason: pb.reason });
      void sub.stop();
    });
  });
}

/** The finished `optimizer.decide` spans of `pipeline`, oldest first. */
function spans(pipeline: string) {
  return exporter.getFinishedSpans().filter((s) => s.name === "optimizer.decide" && s.attributes["fulcrum.pipeline"] === pipeline);
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(body));
    }).on("error", reject).end();
  });
}

describe("optimizer over a real nats-server", () => {
  let ours: Bus;
  let peer: Bus;
  const handles: OptimizerHandle[] = [];
  beforeAll(async () => {
    ours = await connectBus({ servers: natsUrl, name: "optimizer-under-test" });
    peer = await connectBus({ servers: natsUrl, name: "predictor-and-stages" });
  });
  afterAll(async () => {
    for (const h of handles) await h.shutdown();
    await ours?.drain();
    await peer?.drain();
  });

  it("turns a published Forecast into a decoded Assignment with a higher version within one interval, and tracks its acks", async () => {
    const pipeline = `video-${run}`;
    const opt = await start(ours, pipeline);
    handles.push(opt);
    expect(opt.version).toBe(0);
    const got = nextAssignment(peer, pipeline);
    await peer.flush();
    const sentAt = Date.now();
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 30));
    const { assignment, reason } = await got;
    expect(assignment.version).toBeGreaterThan(0);
    expect(assignment.pipeline).toBe(pipeline);
    expect(assignment.policy).toBe("fulcrum");
    expect(reason).toBe("optimal");
    expect(assignment.stages.map((s) => s.stage)).toEqual(["detector", "classifier"]);
    for (const st of assignment.stages) expect(st.variants.reduce((s, v) => s + v.weight, 0)).toBeCloseTo(1, 9);

    // One decision span carrying the decision's inputs and outcome.
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === "optimizer.decide" && s.attributes["fulcrum.pipeline"] === pipeline && s.attributes["fulcrum.version"] === assignment.version)).toBe(true);
    const span = exporter.getFinishedSpans().find((s) => s.name === "optimizer.decide" && s.attributes["fulcrum.version"] === assignment.version && s.attributes["fulcrum.pipeline"] === pipeline)!;
    // The first tick after the forecast decided it (solve time excluded: the machine's load is not the loop's).
    const startedMs = span.startTime[0] * 1000 + span.startTime[1] / 1e6;
    expect(startedMs - sentAt).toBeLessThanOrEqual(INTERVAL_MS + 300);
    expect(assignment.version).toBe(1);
    expect(span.attributes["fulcrum.forecast_rps"]).toBeCloseTo(33, 9);
    expect(span.attributes["fulcrum.status"]).toBe("optimal");
    expect(typeof span.attributes["fulcrum.solve_ms"]).toBe("number");
    expect(typeof span.attributes["fulcrum.objective"]).toBe("number");
    expect(span.attributes["fulcrum.changes"]).toBeGreaterThan(0);
    expect(span.links).toHaveLength(1);

    // Ack round trip: a stage instance acks the version; the optimizer tracks it per instance.
    const v = assignment.version;
    await expect.poll(() => opt.acks(v)).toBeDefined();
    peer.publish(subjects.ack(pipeline, "detector", "i1"), control.AssignmentAck, { pipeline, stage: "detector", instance: "i1", version: v, applied: true, applyMs: 42, appliedUnixMs: Date.now(), error: "" });
    peer.publish(subjects.ack(pipeline, "classifier", "i2"), control.AssignmentAck, { pipeline, stage: "classifier", instance: "i2", version: v, applied: false, applyMs: 5, appliedUnixMs: Date.now(), error: "model missing" });
    await expect.poll(() => opt.acks(v)?.instances.length).toBe(2);
    expect(opt.acks(v)).toMatchObject({ applied: 1, failed: 1, maxApplyMs: 42 });
    expect(opt.acks(v)!.instances.find((a) => a.instance === "i2")).toEqual({ stage: "classifier", instance: "i2", applied: false, applyMs: 5, error: "model missing" });
    const text = await scrape(opt.metricsPort);
    expect(text).toMatch(/fulcrum_optimizer_acks_total\{outcome="applied",pipeline="[^"]+"\} 1/);
    expect(text).toMatch(/fulcrum_optimizer_assignment_version\{pipeline="[^"]+"\} [1-9]/);
    expect(text).toContain("fulcrum_optimizer_solve_seconds_bucket");
    await opt.shutdown();
    expect(opt.state).toBe("stopped");
    await opt.shutdown();
  });

  it("continues from the version in KV after a restart, and keeps the last assignment while no forecast arrives", async () => {
    const pipeline = `restart-${run}`;
    const first = await start(ours, pipeline);
    handles.push(first);
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 10));
    await peer.flush();
    await expect.poll(() => first.version, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    // Only a changed decision gets a new version: a load ten times higher changes it.
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 100));
    await peer.flush();
    await expect.poll(() => first.version, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await first.shutdown();
    const before = first.version;
    const last = first.current!;

    const second = await start(ours, pipeline);
    handles.push(second);
    expect(second.version).toBe(before);
    expect(second.current).toEqual(last);
    // No forecast since the restart: nothing new is published, the stored assignment stays in force.
    let published = 0;
    const sub = peer.subscribe(subjects.assignment(pipeline), control.Assignment, () => void published++);
    await peer.flush();
    const kept = await second.decideNow();
    expect(kept).toEqual({ kind: "kept", version: before, reason: "no-forecast:kept", changes: 0 });
    expect(second.current).toEqual(last);
    const span = exporter.getFinishedSpans().filter((s) => s.name === "optimizer.decide" && s.attributes["fulcrum.pipeline"] === pipeline).at(-1)!;
    expect(span.attributes["fulcrum.fallback_reason"]).toBe("no-forecast:kept");

    // A stale forecast is no better than none.
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 20, Date.now() - 120_000));
    await peer.flush();
    await expect.poll(async () => (await second.decideNow()).reason).toBe("stale-forecast:kept");
    expect(published).toBe(0);

    const got = nextAssignment(peer, pipeline);
    await peer.flush();
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 1000));
    const { assignment } = await got;
    expect(assignment.version).toBe(before + 1);
    await sub.stop();
    await second.shutdown();
  });

  it("publishes only changes: an unchanged decision writes no version (while deciding every interval), a changed one is published within one interval, a foreign KV entry is replaced", async () => {
    const pipeline = `changes-${run}`;
    const opt = await start(ours, pipeline);
    handles.push(opt);
    const seen: Array<{ atMs: number; version: number }> = [];
    const sub = peer.subscribe(subjects.assignment(pipeline), control.Assignment, (pb) => void seen.push({ atMs: Date.now(), version: pb.version }));
    await peer.flush();
    const startMs = (s: ReturnType<typeof spans>[number]): number => s.startTime[0] * 1000 + s.startTime[1] / 1e6;
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 30));
    await expect.poll(() => opt.version, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => seen.map((x) => x.version), { timeout: 5000 }).toEqual([1]);
    const v1 = opt.current!;

    // The same load (a fresh forecast each time, so nothing goes stale) for three more intervals:
    // the optimizer keeps deciding (one decide span per interval, each `unchanged`), publishes nothing.
    const quietFrom = Date.now();
    for (let k = 0; k < 3; k++) {
      peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 30));
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    const quiet = spans(pipeline).filter((s) => startMs(s) >= quietFrom);
    expect(quiet.length).toBeGreaterThanOrEqual(2);
    for (const s of quiet) expect(s.attributes).toMatchObject({ "fulcrum.unchanged": true, "fulcrum.changes": 0, "fulcrum.version": 1 });
    expect(opt.version).toBe(1);
    expect(opt.current).toEqual(v1);
    expect(seen.map((x) => x.version)).toEqual([1]);
    const outcome = await opt.decideNow();
    expect(outcome).toMatchObject({ kind: "unchanged", version: 1, changes: 0, assignment: v1 });

    // A load ten times higher changes the decision: a new version within one interval of the forecast.
    const sentAt = Date.now();
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 300));
    await expect.poll(() => seen.map((x) => x.version), { timeout: 10_000 }).toEqual([1, 2]);
    const decided = spans(pipeline).find((s) => s.attributes["fulcrum.version"] === 2 && s.attributes["fulcrum.unchanged"] === undefined)!;
    expect(decided.attributes["fulcrum.changes"]).toBeGreaterThan(0);
    // Decided at the first tick after the forecast (solve time excluded: the machine's load is not the loop's).
    expect(startMs(decided) - sentAt).toBeLessThanOrEqual(INTERVAL_MS + 300);
    const v2 = opt.current!;
    expect(v2.stages).not.toEqual(v1.stages);

    // Someone else writes the KV entry (the version authority): the unchanged decision is written
    // again above it at the next tick, so a foreign entry does not stay in force.
    const kv = await peer.kv(KV_BUCKETS.assignments);
    await kv.put(kvKeys.assignment(pipeline), control.Assignment, { ...toPbAssignment(v2, "forged"), version: 40, policy: "forged" });
    peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 300));
    await expect.poll(() => seen.map((x) => x.version), { timeout: 10_000 }).toEqual([1, 2, 41]);
    expect((await kv.get(kvKeys.assignment(pipeline), control.Assignment))).toMatchObject({ version: 41, policy: "fulcrum" });
    expect(opt.current?.stages).toEqual(v2.stages);
    await sub.stop();
    await opt.shutdown();
  });

  it("while its decisions stay unchanged, re-broadcasts the version in force to a ready replica that has not acked it, and stops once it acks", async () => {
    const pipeline = `rebroadcast-${run}`;
    const opt = await start(ours, pipeline, { ackTimeoutMs: 1000, ackRetries: 5 });
    handles.push(opt);
    // A ready replica of the detector stage in the registry, heartbeating, that never acks on its own.
    const registry = await peer.kv(KV_BUCKETS.registry);
    const entry = (): control.RegistryEntry => ({
      pipeline, stage: "detector", instance: "i1", address: "127.0.0.1:1", variant: "det-s", cores: 1, batch: 1,
      assignmentVersion: 0, heartbeatUnixMs: Date.now(), startedUnixMs: Date.now() - 1000, readyUnixMs: 0, state: "ready", variants: ["det-s", "det-m"],
    });
    await registry.put(kvKeys.registry(pipeline, "detector", "i1"), control.RegistryEntry, entry());
    const beat = setInterval(() => void registry.put(kvKeys.registry(pipeline, "detector", "i1"), control.RegistryEntry, entry()), 500);
    try {
      const seen: number[] = [];
      const sub = peer.subscribe(subjects.assignment(pipeline), control.Assignment, (pb) => void seen.push(pb.version));
      await peer.flush();
      peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 30));
      // v1, then v1 again (no new version: the decision is unchanged) for the replica that did not ack.
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      expect(new Set(seen)).toEqual(new Set([1]));
      expect(opt.version).toBe(1);
      await expect.poll(() => spans(pipeline).filter((s) => s.attributes["fulcrum.unchanged"] === true).length, { timeout: 5000 }).toBeGreaterThan(0);
      peer.publish(subjects.ack(pipeline, "detector", "i1"), control.AssignmentAck, { pipeline, stage: "detector", instance: "i1", version: 1, applied: true, applyMs: 3, appliedUnixMs: Date.now(), error: "" });
      await peer.flush();
      await new Promise((r) => setTimeout(r, 300));
      const afterAck = seen.length;
      await new Promise((r) => setTimeout(r, 2500));
      expect(seen.length).toBe(afterAck);
      await sub.stop();
    } finally {
      clearInterval(beat);
      await opt.shutdown();
    }
  });
  it("prices a new replica at the start-up it saw in the registry (ready − process start − model load), unless configured", async () => {
    const gauge = async (port: number): Promise<number> => Number(/^fulcrum_optimizer_replica_start_seconds(?:\{[^}]*\})? (\S+)$/m.exec(await scrape(port))?.[1]);
    const registry = await peer.kv(KV_BUCKETS.registry);
    /** A replica that took `startMs` to turn ready: `reported` puts its ready time, else only its heartbeat at that moment. */
    const startedAfter = async (pipeline: string, instance: string, variant: string, startMs: number, o: { reported: boolean; startedUnixMs?: number } = { reported: false }): Promise<void> => {
      const startedUnixMs = o.startedUnixMs ?? Date.now();
      await registry.put(kvKeys.registry(pipeline, "classifier", instance), control.RegistryEntry, {
        pipeline, stage: "classifier", instance, address: "127.0.0.1:1", variant, cores: 1, batch: 1, assignmentVersion: 0,
        heartbeatUnixMs: o.reported ? Date.now() : startedUnixMs + startMs, startedUnixMs, readyUnixMs: o.reported ? startedUnixMs + startMs : 0,
        state: "ready", variants: [variant],
      });
    };
    const learned = `startup-${run}`;
    const opt = await start(ours, learned);
    handles.push(opt);
    expect(await gauge(opt.metricsPort)).toBe(1); // the schema's default until a start-up is seen
    // One that started a minute before the optimizer and reports its ready time (cls-18 loads in 500 ms: 3000 before it)…
    await startedAfter(learned, "c0", "cls-18", 3500, { reported: true, startedUnixMs: Date.now() - 60_000 });
    // …and one that does not report it, started after the optimizer (cls-50 loads in 800 ms: 4000).
    await startedAfter(learned, "c1", "cls-50", 4800);
    await expect.poll(() => gauge(opt.metricsPort), { timeout: 5000 }).toBe(3.5);

    const pinned = `startup-pinned-${run}`;
    const fixed = await start(ours, pinned, { policyConfig: { shareUnits: 4, replicaStartMs: 250 } });
    handles.push(fixed);
    await startedAfter(pinned, "c0", "cls-18", 3500);
    await new Promise((r) => setTimeout(r, 500));
    expect(await gauge(fixed.metricsPort)).toBe(0.25);
  });

  it("decides for the observed peak when the monitor reports more load than the forecast, within the floor window only", async () => {
    const decidedFor = async (pipeline: string, over: Record<string, unknown>) => {
      const opt = await start(ours, pipeline, over);
      handles.push(opt);
      await peer.flush();
      // The monitor saw 120 rps in the last second; the predictor's forecast still says 30 (33 upper).
      const second = Math.floor(Date.now() / 1000) * 1000 - 1000;
      peer.publish(subjects.load(pipeline), control.LoadSample, { pipeline, timestampUnixMs: second, arrivalsRps: 120, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 });
      peer.publish(subjects.forecast(pipeline), control.Forecast, forecast(pipeline, 30));
      await expect.poll(() => spans(pipeline).length, { timeout: 5000 }).toBeGreaterThan(0);
      const scraped = await scrape(opt.metricsPort);
      await opt.shutdown();
      return { span: spans(pipeline)[0]!, gauge: Number(/^fulcrum_optimizer_observed_peak_rps(?:\{[^}]*\})? (\S+)$/m.exec(scraped)?.[1]) };
    };
    // A 5 s window holds the sample of the second before the decision.
    const floored = await decidedFor(`floor-${run}`, { observedFloorWindowMs: 5000 });
    expect(floored.span.attributes["fulcrum.forecast_rps"]).toBe(120);
    expect(floored.span.attributes["fulcrum.floored"]).toBe(true);
    expect(floored.span.attributes["fulcrum.observed_peak_rps"]).toBe(120);
    expect(floored.gauge).toBe(120);
    const off = await decidedFor(`floor-off-${run}`, { observedFloorWindowMs: 0 });
    expect(off.span.attributes["fulcrum.forecast_rps"]).toBeCloseTo(33, 9);
    expect(off.span.attributes["fulcrum.floored"]).toBe(false);
  });
});
