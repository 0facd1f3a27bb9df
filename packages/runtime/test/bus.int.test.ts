import { context, trace } from "@opentelemetry/api";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectBus, installInMemoryTracing, NoRespondersError, testNatsUrl, type Bus } from "../src/index.js";

const exporter = installInMemoryTracing();
const natsUrl = testNatsUrl();

function assignment(version: number): control.Assignment {
  return {
    pipeline: "video",
    version,
    policy: "ipa",
    createdUnixMs: 1_700_000_000_000 + version,
    reason: "optimal",
    stages: [
      { stage: "detector", variants: [{ variant: "yolov5n", weight: 1, batch: 4, coresPerReplica: 2, replicas: 1 }] },
      { stage: "classifier", variants: [{ variant: "resnet18", weight: 0.7, batch: 8, coresPerReplica: 1, replicas: 2 }, { variant: "resnet50", weight: 0.3, batch: 2, coresPerReplica: 2, replicas: 1 }] },
    ],
  };
}

describe("NATS bus over a real nats-server", () => {
  let pub: Bus;
  let sub: Bus;
  beforeAll(async () => {
    pub = await connectBus({ servers: natsUrl, name: "test-publisher" });
    sub = await connectBus({ servers: natsUrl, name: "test-subscriber" });
  });
  afterAll(async () => {
    await pub?.drain();
    await sub?.drain();
  });

  it("delivers a decoded Assignment to another connection, continuing the publisher's trace", async () => {
    const subject = subjects.assignment("video");
    const received = new Promise<{ message: control.Assignment; traceId?: string; parentSpanId?: string }>((resolve) => {
      const s = sub.subscribe(subject, control.Assignment, (message) => {
        const span = trace.getActiveSpan();
        resolve({ message, traceId: span?.spanContext().traceId });
        void s.stop();
      });
    });
    await sub.flush();

    const tracer = trace.getTracer("test");
    const decision = tracer.startSpan("decide");
    context.with(trace.setSpan(context.active(), decision), () => pub.publish(subject, control.Assignment, assignment(7)));
    decision.end();

    const got = await received;
    expect(got.message).toEqual(assignment(7));
    expect(got.traceId).toBe(decision.spanContext().traceId);

    const spans = exporter.getFinishedSpans();
    const producer = spans.find((s) => s.name === `publish ${subject}`);
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === `receive ${subject}`)).toBe(true);
    const consumer = exporter.getFinishedSpans().find((s) => s.name === `receive ${subject}`);
    expect(producer?.spanContext().traceId).toBe(decision.spanContext().traceId);
    expect(producer?.parentSpanContext?.spanId).toBe(decision.spanContext().spanId);
    expect(consumer?.spanContext().traceId).toBe(decision.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
  });

  it("lets a late subscriber read the latest Assignment from KV", async () => {
    const kv = await pub.kv(KV_BUCKETS.assignments);
    await kv.put(kvKeys.assignment("late-pipe"), control.Assignment, { ...assignment(1), pipeline: "late-pipe" });
    await kv.put(kvKeys.assignment("late-pipe"), control.Assignment, { ...assignment(2), pipeline: "late-pipe" });

    const late = await connectBus({ servers: natsUrl, name: "late-starter" });
    try {
      const lateKv = await late.kv(KV_BUCKETS.assignments);
      expect(await lateKv.get(kvKeys.assignment("late-pipe"), control.Assignment)).toEqual({ ...assignment(2), pipeline: "late-pipe" });
      expect(await lateKv.get(kvKeys.assignment("never-written"), control.Assignment)).toBeUndefined();

      const seen: number[] = [];
      const watch = await lateKv.watch(kvKeys.assignment("late-pipe"), control.Assignment, (a) => void (a && seen.push(a.version)));
      await kv.put(kvKeys.assignment("late-pipe"), control.Assignment, { ...assignment(3), pipeline: "late-pipe" });
      await expect.poll(() => seen).toEqual([2, 3]);
      await watch.stop();
    } finally {
      await late.drain();
    }
  });

  it("fails a request with no responder with a typed error naming the subject", async () => {
    const subject = "fulcrum.test.nobody-home";
    const err = await pub.request(subject, control.Forecast, control.Forecast.fromPartial({ pipeline: "p" }), control.Forecast, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRespondersError);
    expect((err as Error).message).toContain(subject);
  });

  it("answers requests with serve(), and drops undecodable payloads without calling the handler", async () => {
    const server = sub.serve("fulcrum.test.echo", control.Forecast, control.Forecast, (f) => ({ ...f, peakRps: f.peakRps * 2 }));
    await sub.flush();
    const reply = await pub.request("fulcrum.test.echo", control.Forecast, control.Forecast.fromPartial({ pipeline: "p", peakRps: 21 }), control.Forecast);
    expect(reply.peakRps).toBe(42);
    await server.stop();

    const calls: unknown[] = [];
    const s = sub.subscribe("fulcrum.test.garbage", control.Assignment, (m) => void calls.push(m));
    await sub.flush();
    pub.publishRaw("fulcrum.test.garbage", new Uint8Array([0xff, 0xff, 0xff]));
    pub.publish("fulcrum.test.garbage", control.Assignment, assignment(9));
    await expect.poll(() => calls.length).toBe(1);
    expect(sub.decodeFailures.get("fulcrum.test.garbage")).toBe(1);
    await s.stop();
  });
});
