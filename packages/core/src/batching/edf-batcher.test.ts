import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EdfBatcher, PollBuffer } from "./edf-batcher.js";
import type { PollResult, QueuedRequest } from "./edf-batcher.js";
import { BatcherConfigError, InvalidBatchRequestError } from "./errors.js";
import type { EdfBatcherOptions } from "./options.js";

/** l(b) = 2 + 3b ms: l(1)=5, l(2)=8, l(3)=11, l(4)=14. */
const linear = (b: number): number => 2 + 3 * b;

function makeBatcher(overrides: Partial<EdfBatcherOptions> = {}): EdfBatcher<string> {
  return new EdfBatcher<string>({
    maxBatchSize: 4,
    latencyModel: linear,
    maxQueueDelayMs: 10,
    maxQueueSize: 100,
    safetyMarginMs: 1,
    ...overrides,
  });
}

const ids = (reqs: readonly QueuedRequest<string>[] | null): string[] | null => reqs && reqs.map((r) => r.payload);

/** [id, arrivalMs, deadlineMs] */
type Arrival = readonly [string, number, number];

function enqueueAll(b: EdfBatcher<string>, arrivals: readonly Arrival[]): void {
  for (const [id, at, deadline] of arrivals) expect(b.enqueue(id, deadline, at).status).toBe("queued");
}

describe("EdfBatcher timing rules", () => {
  const cases: ReadonlyArray<{
    name: string;
    opts?: Partial<EdfBatcherOptions>;
    arrivals: readonly Arrival[];
    pollAtMs: number;
    batch: string[] | null;
    trigger: PollResult<string>["trigger"];
    expired?: string[];
    predictedLatencyMs?: number;
    nextWakeMs: number | null;
  }> = [
    {
      name: "full batch dispatches at once",
      arrivals: [["a", 0, 1000], ["b", 0, 1000], ["c", 1, 1000], ["d", 2, 1000]],
      pollAtMs: 2,
      batch: ["a", "b", "c", "d"],
      trigger: "full",
      predictedLatencyMs: 14,
      nextWakeMs: null,
    },
    {
      name: "waits while no rule fires; wakes at the first rule (max delay of the oldest)",
      arrivals: [["a", 0, 100], ["b", 1, 90]],
      pollAtMs: 3,
      batch: null,
      trigger: null,
      nextWakeMs: 10, // min(90 − 1 − l(2)=81, 0 + 10)
    },
    {
      name: "max delay of the oldest dispatches a partial batch in EDF order",
      arrivals: [["a", 0, 100], ["b", 1, 90]],
      pollAtMs: 10,
      batch: ["b", "a"],
      trigger: "max-delay",
      predictedLatencyMs: 8,
      nextWakeMs: null,
    },
    {
      name: "deadline rule: one ms before the latest start, keep waiting",
      opts: { maxQueueDelayMs: Infinity },
      arrivals: [["a", 0, 30]],
      pollAtMs: 23,
      batch: null,
      trigger: null,
      nextWakeMs: 24, // 30 − 1 − l(1)
    },
    {
      name: "deadline rule: at the latest start, dispatch",
      opts: { maxQueueDelayMs: Infinity },
      arrivals: [["a", 0, 30]],
      pollAtMs: 24,
      batch: ["a"],
      trigger: "deadline",
      predictedLatencyMs: 5,
      nextWakeMs: null,
    },
    {
      name: "deadline rule wakes before max delay when the head is tight",
      arrivals: [["a", 0, 14], ["b", 0, 1000], ["c", 0, 1000]],
      pollAtMs: 0,
      batch: null,
      trigger: null,
      nextWakeMs: 2, // 14 − 1 − l(3)
    },
    {
      name: "batch shrinks to the largest size that meets the earliest deadline",
      arrivals: [["a", 0, 14], ["b", 0, 1000], ["c", 0, 1000]],
      pollAtMs: 5,
      batch: ["a", "b"], // 5 + l(3) + 1 = 17 > 14, 5 + l(2) + 1 = 14 fits
      trigger: "deadline",
      predictedLatencyMs: 8,
      nextWakeMs: 10, // c: min(1000 − 1 − 5, 0 + 10)
    },
    {
      name: "hopeless head is expired, the rest is batched",
      arrivals: [["a", 0, 20], ["b", 0, 200], ["c", 0, 300]],
      pollAtMs: 15,
      expired: ["a"], // 15 + l(1) + 1 = 21 > 20
      batch: ["b", "c"],
      trigger: "max-delay",
      predictedLatencyMs: 8,
      nextWakeMs: null,
    },
    {
      name: "finishing exactly at the deadline is not expiry",
      opts: { maxQueueDelayMs: Infinity },
      arrivals: [["a", 0, 21]],
      pollAtMs: 15,
      batch: ["a"],
      trigger: "deadline",
      predictedLatencyMs: 5,
      nextWakeMs: null,
    },
    {
      name: "no deadline (Infinity) only waits for size or delay",
      arrivals: [["a", 0, Infinity]],
      pollAtMs: 9,
      batch: null,
      trigger: null,
      nextWakeMs: 10,
    },
    {
      name: "maxQueueDelayMs 0 (work-conserving) dispatches whatever is queued",
      opts: { maxQueueDelayMs: 0 },
      arrivals: [["a", 0, 1000]],
      pollAtMs: 0,
      batch: ["a"],
      trigger: "idle",
      predictedLatencyMs: 5,
      nextWakeMs: null,
    },
    {
      name: "mixed deadlines: the earliest maxBatchSize go first; a full remainder wakes now",
      opts: { maxBatchSize: 3 },
      arrivals: [["a", 0, 500], ["b", 0, 200], ["c", 0, 400], ["d", 0, 300], ["e", 0, 1000], ["f", 0, 100]],
      pollAtMs: 0,
      batch: ["f", "b", "d"],
      trigger: "full",
      predictedLatencyMs: 11,
      nextWakeMs: 0,
    },
    {
      name: "equal deadlines go in arrival order",
      opts: { maxBatchSize: 2 },
      arrivals: [["x", 0, 500], ["y", 1, 500], ["z", 2, 500]],
      pollAtMs: 2,
      batch: ["x", "y"],
      trigger: "full",
      predictedLatencyMs: 8,
      nextWakeMs: 12, // z alone: min(500 − 1 − l(1), 2 + 10)
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const b = makeBatcher(c.opts);
      enqueueAll(b, c.arrivals);
      const r = b.poll(c.pollAtMs);
      expect(ids(r.batch)).toEqual(c.batch);
      expect(r.trigger).toBe(c.trigger);
      expect(ids(r.expired)).toEqual(c.expired ?? []);
      expect(r.predictedLatencyMs).toBe(c.predictedLatencyMs ?? 0);
      expect(r.nextWakeMs).toBe(c.nextWakeMs);
    });
  }
});

describe("EdfBatcher.enqueue", () => {
  const cases: ReadonlyArray<{ name: string; nowMs: number; deadlineMs: number; status: "queued" | "expired" }> = [
    { name: "cannot finish alone by the deadline: expired at once", nowMs: 0, deadlineMs: 5, status: "expired" },
    { name: "finishes alone exactly at the deadline: queued", nowMs: 0, deadlineMs: 6, status: "queued" },
    { name: "deadline already past: expired", nowMs: 100, deadlineMs: 50, status: "expired" },
    { name: "no deadline: queued", nowMs: 0, deadlineMs: Infinity, status: "queued" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const b = makeBatcher();
      const out = b.enqueue("r", c.deadlineMs, c.nowMs);
      expect(out.status).toBe(c.status);
      expect(out.request).toMatchObject({ payload: "r", deadlineMs: c.deadlineMs, arrivalMs: c.nowMs, seq: 0 });
      expect(b.size).toBe(c.status === "queued" ? 1 : 0);
      expect(b.counters.expired).toBe(c.status === "expired" ? 1 : 0);
    });
  }

  it("rejects beyond maxQueueSize, counts it, and accepts again once a batch frees room", () => {
    const b = makeBatcher({ maxQueueSize: 3, maxBatchSize: 2 });
    enqueueAll(b, [["a", 0, 100], ["b", 0, 200], ["c", 0, 300]]);
    const out = b.enqueue("d", 400, 0);
    expect(out).toMatchObject({ status: "rejected", reason: "queue-full", request: { payload: "d" } });
    expect(b.size).toBe(3);
    expect(ids(b.poll(0).batch)).toEqual(["a", "b"]);
    expect(b.enqueue("e", 500, 1).status).toBe("queued");
    expect(b.counters).toEqual({ queued: 4, rejected: 1, expired: 0, dispatched: 2, batches: 1, drained: 0 });
  });

  it("throws a typed error for a NaN deadline or non-finite now, leaving the queue unchanged", () => {
    const b = makeBatcher();
    expect(() => b.enqueue("x", Number.NaN, 0)).toThrow(new InvalidBatchRequestError("deadlineMs", Number.NaN, "a number (Infinity for none)"));
    expect(() => b.enqueue("x", 10, Infinity)).toThrow("invalid request nowMs=Infinity: expected a finite number");
    expect(b.size).toBe(0);
    expect(b.counters.queued).toBe(0);
  });
});

describe("EdfBatcher across polls", () => {
  it("serves mixed deadlines in EDF order across successive batches", () => {
    const b = makeBatcher({ maxBatchSize: 2, maxQueueDelayMs: 0 });
    const deadlines: Arrival[] = [["a", 0, 900], ["b", 0, 300], ["c", 0, 700], ["d", 0, 100], ["e", 0, 500]];
    enqueueAll(b, deadlines);
    const order: (string[] | null)[] = [];
    for (let t = 0; b.size > 0; t += 20) order.push(ids(b.poll(t).batch));
    expect(order).toEqual([["d", "b"], ["e", "c"], ["a"]]);
    // A late arrival with an earlier deadline overtakes queued ones.
    enqueueAll(b, [["p", 100, 1000], ["q", 100, 1200], ["r", 101, 400]]);
    expect(ids(b.poll(101).batch)).toEqual(["r", "p"]);
  });

  it("expireOverdue drops hopeless requests while the server is busy, using the predicted start", () => {
    const b = makeBatcher();
    enqueueAll(b, [["a", 0, 30], ["b", 0, 40], ["c", 0, 100]]);
    expect(ids(b.expireOverdue(0))).toEqual([]);
    // Busy until 30: alone, a would finish at 30 + l(1) + 1 = 36 > 30; b (40) still fits.
    expect(ids(b.expireOverdue(0, 30))).toEqual(["a"]);
    expect(ids(b.expireOverdue(10, 35))).toEqual(["b"]);
    expect(b.size).toBe(1);
    expect(b.counters.expired).toBe(2);
  });

  it("drainAll hands back everything in EDF order and empties the queue", () => {
    const b = makeBatcher();
    enqueueAll(b, [["a", 0, 300], ["b", 0, 100], ["c", 1, 200]]);
    expect(ids(b.drainAll())).toEqual(["b", "c", "a"]);
    expect(b.size).toBe(0);
    expect(b.oldestArrivalMs).toBeNull();
    expect(b.poll(50)).toEqual({ expired: [], batch: null, trigger: null, predictedLatencyMs: 0, nextWakeMs: null });
    expect(b.counters.drained).toBe(3);
  });

  it("tracks the oldest arrival and the earliest deadline", () => {
    const b = makeBatcher({ maxBatchSize: 1 });
    enqueueAll(b, [["a", 0, 900], ["b", 5, 100]]);
    expect([b.oldestArrivalMs, b.earliestDeadlineMs]).toEqual([0, 100]);
    expect(ids(b.poll(5).batch)).toEqual(["b"]);
    expect([b.oldestArrivalMs, b.earliestDeadlineMs]).toEqual([0, 900]);
    expect(ids(b.poll(6).batch)).toEqual(["a"]);
    expect([b.oldestArrivalMs, b.earliestDeadlineMs]).toEqual([null, null]);
  });

  it("keeps the arrival bookkeeping bounded while a long-deadline request starves", () => {
    const b = makeBatcher({ maxBatchSize: 1, maxQueueDelayMs: 0 });
    b.enqueue("old", Infinity, 0);
    for (let t = 1; t <= 20_000; t++) {
      b.enqueue(`r${t}`, t + 1000, t);
      expect(b.poll(t).batch?.[0]?.payload).toBe(`r${t}`);
    }
    expect(b.oldestArrivalMs).toBe(0);
    const fifo = (b as unknown as { fifo: unknown[] }).fifo;
    expect(fifo.length).toBeLessThan(2000);
  });
});

describe("EdfBatcher work conservation (default maxQueueDelayMs 0)", () => {
  const wc = (overrides: Partial<EdfBatcherOptions> = {}): EdfBatcher<string> =>
    new EdfBatcher<string>({ maxBatchSize: 4, latencyModel: linear, safetyMarginMs: 1, ...overrides });

  it("an idle server dispatches a lone request at once: no batching delay at light load", () => {
    const b = wc();
    enqueueAll(b, [["a", 0, 1000]]);
    const r = b.poll(0);
    expect([ids(r.batch), r.trigger, r.predictedLatencyMs, r.nextWakeMs]).toEqual([["a"], "idle", 5, null]);
  });

  it("while busy, a partial batch waits and grows; at the server's release it goes as one batch", () => {
    const b = wc();
    enqueueAll(b, [["a", 0, 1000]]);
    expect(ids(b.poll(0).batch)).toEqual(["a"]);
    enqueueAll(b, [["b", 1, 1000], ["c", 2, 1000]]);
    const waiting = b.poll(2, { untilMs: 5 });
    expect([waiting.batch, waiting.trigger, waiting.nextWakeMs]).toEqual([null, null, null]);
    const r = b.poll(5);
    expect([ids(r.batch), r.trigger]).toEqual([["b", "c"], "idle"]);
  });

  it("while busy, a full batch is handed out to run next, judged from the predicted start", () => {
    const b = wc();
    // Busy until 20: a (deadline 30) alone would end at 20 + l(1) + 1 = 26, but not in a batch of 4
    // (20 + 14 + 1 = 35), so the batch shrinks to what meets a: 20 + l(2) + 1 = 29.
    enqueueAll(b, [["a", 0, 30], ["b", 0, 1000], ["c", 0, 1000], ["d", 0, 900]]);
    const r = b.poll(10, { untilMs: 20 });
    expect([ids(r.batch), r.trigger, r.predictedLatencyMs]).toEqual([["a", "d"], "full", 8]);
    expect(r.nextWakeMs).toBe(10);
  });

  it("while busy, drops what cannot make it even after the running batch, before the model", () => {
    const b = wc();
    enqueueAll(b, [["a", 0, 24], ["b", 0, 1000]]);
    // Free at 20: a would end at 20 + 5 + 1 = 26 > 24.
    const r = b.poll(1, { untilMs: 20 });
    expect([ids(r.expired), r.batch]).toEqual([["a"], null]);
    expect(b.counters.expired).toBe(1);
  });

  it("an overrunning batch (busy past its predicted end) still holds partial batches back", () => {
    const b = wc();
    enqueueAll(b, [["a", 0, 1000]]);
    expect(b.poll(30, { untilMs: 20 }).batch).toBeNull();
    expect(ids(b.poll(31).batch)).toEqual(["a"]);
  });

  it("keeps EDF order across work-conserving batches, late urgent arrivals first", () => {
    const b = wc({ maxBatchSize: 3 });
    enqueueAll(b, [["a", 0, 900]]);
    expect(ids(b.poll(0).batch)).toEqual(["a"]);
    enqueueAll(b, [["b", 1, 800], ["c", 2, 300], ["d", 3, 700], ["e", 4, 100]]);
    expect(ids(b.poll(4, { untilMs: 5 }).batch)).toEqual(["e", "c", "d"]);
    expect(ids(b.poll(5).batch)).toEqual(["b"]);
  });

  it("in a simulated server: an idle server never leaves a request waiting, a busy one hands out only full batches, EDF order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 10, max: 400 })), { minLength: 1, maxLength: 120 }),
        (maxBatchSize, arrivals) => {
          const b = new EdfBatcher<number>({ maxBatchSize, latencyModel: (n) => 3 + 2 * n });
          let t = 0;
          const reqs = arrivals.map(([gap, slack], id) => ((t += gap), { id, atMs: t, deadlineMs: t + slack }));
          let next = 0;
          let busyUntil = 0;
          for (let now = 0; next < reqs.length || b.size > 0; now++) {
            for (; next < reqs.length && reqs[next]!.atMs <= now; next++) b.enqueue(reqs[next]!.id, reqs[next]!.deadlineMs, now);
            const idle = busyUntil <= now;
            const queued = b.size;
            const r = b.poll(now, idle ? undefined : { untilMs: busyUntil });
            if (idle && r.batch === null) expect(b.size).toBe(0);
            // Busy: only a full batch is handed out (it may then shrink to meet its earliest deadline).
            if (!idle && r.batch !== null) expect(queued - r.expired.length).toBeGreaterThanOrEqual(maxBatchSize);
            if (r.batch === null) continue;
            for (let i = 1; i < r.batch.length; i++) expect(r.batch[i]!.deadlineMs).toBeGreaterThanOrEqual(r.batch[i - 1]!.deadlineMs);
            expect(b.earliestDeadlineMs ?? Infinity).toBeGreaterThanOrEqual(r.batch[r.batch.length - 1]!.deadlineMs);
            const startMs = Math.max(now, busyUntil);
            expect(startMs + r.predictedLatencyMs).toBeLessThanOrEqual(r.batch[0]!.deadlineMs);
            busyUntil = startMs + r.predictedLatencyMs;
          }
          const c = b.counters;
          expect(c.dispatched + c.expired + c.rejected).toBe(reqs.length);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe("EdfBatcher.reconfigure", () => {
  it("a smaller maxBatchSize takes effect at the next batch", () => {
    const b = makeBatcher();
    enqueueAll(b, ["a", "b", "c", "d", "e", "f"].map((id): Arrival => [id, 0, 1000]));
    expect(ids(b.poll(0).batch)).toEqual(["a", "b", "c", "d"]);
    b.reconfigure({ maxBatchSize: 2 });
    const r = b.poll(0);
    expect([ids(r.batch), r.trigger]).toEqual([["e", "f"], "full"]);
  });

  it("a larger maxBatchSize lets the queue grow into a bigger batch", () => {
    const b = makeBatcher({ maxBatchSize: 2 });
    b.reconfigure({ maxBatchSize: 3 });
    enqueueAll(b, [["a", 0, 1000], ["b", 0, 1000]]);
    expect(b.poll(0).batch).toBeNull();
    enqueueAll(b, [["c", 1, 1000]]);
    expect(ids(b.poll(1).batch)).toEqual(["a", "b", "c"]);
  });

  it("a slower latency model moves the deadline trigger earlier, mid-stream", () => {
    const b = makeBatcher({ maxQueueDelayMs: Infinity });
    enqueueAll(b, [["a", 0, 100]]);
    expect(b.poll(0).nextWakeMs).toBe(94);
    b.reconfigure({ latencyModel: (n) => 50 * n });
    expect(b.poll(0).nextWakeMs).toBe(49);
    b.reconfigure({ latencyModel: () => 99 });
    const r = b.poll(0);
    expect([ids(r.batch), r.trigger, r.predictedLatencyMs]).toEqual([["a"], "deadline", 99]);
  });

  it("a lower maxQueueSize keeps what is queued and rejects new arrivals", () => {
    const b = makeBatcher();
    enqueueAll(b, [["a", 0, 1000], ["b", 0, 1000], ["c", 0, 1000]]);
    b.reconfigure({ maxQueueSize: 2 });
    expect(b.enqueue("d", 1000, 0).status).toBe("rejected");
    expect(b.size).toBe(3);
  });

  it("an invalid patch throws and leaves the old options in force", () => {
    const b = makeBatcher();
    expect(() => b.reconfigure({ maxBatchSize: 0, maxQueueSize: 5 })).toThrow(BatcherConfigError);
    expect(b.options.maxBatchSize).toBe(4);
    expect(b.options.maxQueueSize).toBe(100);
  });
});

describe("EdfBatcher option validation", () => {
  const bad: ReadonlyArray<[Partial<EdfBatcherOptions>, string]> = [
    [{ maxBatchSize: 0 }, "invalid batcher option maxBatchSize=0: expected an integer ≥ 1"],
    [{ maxBatchSize: 2.5 }, "invalid batcher option maxBatchSize=2.5: expected an integer ≥ 1"],
    [{ maxQueueDelayMs: -1 }, "invalid batcher option maxQueueDelayMs=-1: expected a number ≥ 0 (Infinity allowed)"],
    [{ maxQueueDelayMs: Number.NaN }, "invalid batcher option maxQueueDelayMs=NaN: expected a number ≥ 0 (Infinity allowed)"],
    [{ maxQueueSize: 0 }, "invalid batcher option maxQueueSize=0: expected an integer ≥ 1"],
    [{ safetyMarginMs: Infinity }, "invalid batcher option safetyMarginMs=Infinity: expected a finite number ≥ 0"],
    [{ latencyModel: 5 as unknown as (b: number) => number }, "invalid batcher option latencyModel=5: expected a function (batchSize) => ms"],
  ];
  for (const [patch, message] of bad) {
    it(`rejects ${Object.keys(patch).join()}=${String(Object.values(patch)[0])}`, () => {
      let err: unknown;
      try {
        makeBatcher(patch);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BatcherConfigError);
      expect((err as BatcherConfigError).message).toBe(message);
      expect((err as BatcherConfigError).option).toBe(Object.keys(patch)[0]);
    });
  }

  it("applies the documented defaults", () => {
    const b = new EdfBatcher<string>({ maxBatchSize: 8, latencyModel: linear });
    expect(b.options).toMatchObject({ maxQueueDelayMs: 0, maxQueueSize: 1024, safetyMarginMs: 0 });
  });

  it("a latency model returning a bad value fails with the batch size named", () => {
    const b = makeBatcher({ latencyModel: (n) => (n === 1 ? 1 : Number.NaN), maxQueueDelayMs: Infinity });
    enqueueAll(b, [["a", 0, 100], ["b", 0, 100]]);
    expect(() => b.poll(0)).toThrow("invalid batcher option latencyModel=NaN: expected a finite latency ≥ 0 ms for batch size 2");
  });
});

describe("EdfBatcher in a simulated server (latency model exact)", () => {
  interface Req {
    id: number;
    atMs: number;
    deadlineMs: number;
  }
  const scenario = fc.record({
    maxBatchSize: fc.integer({ min: 1, max: 8 }),
    fixedMs: fc.integer({ min: 0, max: 5 }),
    perItemMs: fc.integer({ min: 1, max: 6 }),
    marginMs: fc.integer({ min: 0, max: 3 }),
    maxQueueDelayMs: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 30 })),
    maxQueueSize: fc.integer({ min: 1, max: 40 }),
    arrivals: fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 120 })), { minLength: 1, maxLength: 150 }),
  });

  it("accounts for every request once, never dispatches a request that would miss, keeps EDF order", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const latencyModel = (b: number): number => s.fixedMs + s.perItemMs * b;
        const b = new EdfBatcher<Req>({
          maxBatchSize: s.maxBatchSize,
          latencyModel,
          safetyMarginMs: s.marginMs,
          maxQueueDelayMs: s.maxQueueDelayMs,
          maxQueueSize: s.maxQueueSize,
        });
        let t = 0;
        const reqs: Req[] = s.arrivals.map(([gapMs, slackMs], id) => {
          t += gapMs;
          return { id, atMs: t, deadlineMs: t + slackMs };
        });
        const fate = new Map<number, string>();
        const mark = (r: QueuedRequest<Req>, what: string): void => {
          expect(fate.has(r.payload.id)).toBe(false);
          fate.set(r.payload.id, what);
        };
        let expiredAtEnqueue = 0;
        let next = 0;
        let freeAtMs = 0;
        let wakeMs: number | null = null;
        let now = 0;
        for (let steps = 0; steps < 10_000; steps++) {
          while (next < reqs.length && (reqs[next] as Req).atMs <= now) {
            const r = reqs[next++] as Req;
            const out = b.enqueue(r, r.deadlineMs, now);
            if (out.status !== "queued") mark(out.request, out.status);
            if (out.status === "expired") expiredAtEnqueue++;
          }
          if (freeAtMs <= now) {
            const p = b.poll(now);
            for (const e of p.expired) mark(e, "expired");
            if (p.batch) {
              expect(p.batch.length).toBeLessThanOrEqual(s.maxBatchSize);
              expect(p.predictedLatencyMs).toBe(latencyModel(p.batch.length));
              for (let i = 0; i < p.batch.length; i++) {
                const e = p.batch[i] as QueuedRequest<Req>;
                if (i > 0) expect(e.deadlineMs).toBeGreaterThanOrEqual((p.batch[i - 1] as QueuedRequest<Req>).deadlineMs);
                expect(now + p.predictedLatencyMs + s.marginMs).toBeLessThanOrEqual(e.deadlineMs);
                mark(e, "served");
              }
              const last = p.batch[p.batch.length - 1] as QueuedRequest<Req>;
              expect(b.earliestDeadlineMs ?? Infinity).toBeGreaterThanOrEqual(last.deadlineMs);
              freeAtMs = now + p.predictedLatencyMs;
            } else if (b.size > 0) {
              expect(p.nextWakeMs).not.toBeNull();
              expect(p.nextWakeMs as number).toBeGreaterThan(now);
            }
            wakeMs = p.nextWakeMs;
          }
          const candidates = [next < reqs.length ? (reqs[next] as Req).atMs : Infinity, freeAtMs > now ? freeAtMs : Infinity];
          if (freeAtMs <= now && wakeMs !== null) candidates.push(Math.max(wakeMs, now));
          const nextT = Math.min(...candidates);
          if (nextT === Infinity) break;
          now = nextT;
        }
        expect(b.size).toBe(0);
        expect(fate.size).toBe(reqs.length);
        const c = b.counters;
        expect(c.queued + c.rejected + expiredAtEnqueue).toBe(reqs.length);
        expect(c.dispatched + c.expired + c.rejected).toBe(reqs.length);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});

describe("EdfBatcher allocation-free calls (offer, pollInto, expireInto)", () => {
  /** One step: [kind, gap ms, value]; kinds 0–3 offer (value = slack ms), 4 poll idle, 5 poll busy until now + value, 6 expire from now + value, 7 batch size = value. */
  const ops = fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 200 });
  const options = fc.record({
    maxBatchSize: fc.integer({ min: 1, max: 6 }),
    maxQueueDelayMs: fc.oneof(fc.constant(0), fc.constant(Infinity), fc.integer({ min: 1, max: 20 })),
    maxQueueSize: fc.integer({ min: 1, max: 12 }),
    safetyMarginMs: fc.integer({ min: 0, max: 3 }),
  });

  it("decide exactly as enqueue, poll and expireOverdue on a twin batcher, reusing one buffer throughout", () => {
    fc.assert(
      fc.property(options, ops, (o, steps) => {
        const mk = (): EdfBatcher<number> => new EdfBatcher<number>({ ...o, latencyModel: linear });
        const ref = mk();
        const lean = mk();
        const buf = new PollBuffer<number>();
        const dropped: QueuedRequest<number>[] = [];
        const payloads = (xs: readonly QueuedRequest<number>[], n = xs.length): number[] => xs.slice(0, n).map((r) => r.payload);
        let now = 0;
        steps.forEach(([kind, gap, value], id) => {
          now += gap;
          if (kind <= 3) expect(lean.offer(id, now + value, now)).toBe(ref.enqueue(id, now + value, now).status);
          else if (kind === 4 || kind === 5) {
            const busy = kind === 5 ? { untilMs: now + value } : undefined;
            const want = ref.poll(now, busy);
            lean.pollInto(now, busy?.untilMs, buf);
            expect(payloads(buf.expired, buf.expiredCount)).toEqual(payloads(want.expired));
            expect(buf.batchSize === 0 ? null : payloads(buf.batch, buf.batchSize)).toEqual(want.batch && payloads(want.batch));
            expect([buf.trigger, buf.predictedLatencyMs, buf.nextWakeMs]).toEqual([want.trigger, want.predictedLatencyMs, want.nextWakeMs]);
          } else if (kind === 6) {
            const n = lean.expireInto(now, now + value, dropped);
            expect(payloads(dropped, n)).toEqual(payloads(ref.expireOverdue(now, now + value)));
          } else {
            ref.reconfigure({ maxBatchSize: 1 + (value % 6) });
            lean.reconfigure({ maxBatchSize: 1 + (value % 6) });
          }
          expect(lean.counters).toEqual(ref.counters);
          expect([lean.size, lean.earliestDeadlineMs, lean.oldestArrivalMs]).toEqual([ref.size, ref.earliestDeadlineMs, ref.oldestArrivalMs]);
        });
        expect(payloads(lean.drainAll())).toEqual(payloads(ref.drainAll()));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it("enqueue still returns the queue entry itself, and a refused request's entry with its sequence number", () => {
    const b = makeBatcher({ maxQueueSize: 1 });
    const queued = b.enqueue("a", 100, 0);
    expect(queued.status).toBe("queued");
    expect(b.drainAll()[0]).toBe(queued.request);
    expect(b.enqueue("b", 100, 0).request.seq).toBe(1);
    expect(b.enqueue("c", 100, 0)).toMatchObject({ status: "rejected", reason: "queue-full", request: { payload: "c", seq: 2 } });
    expect(b.enqueue("d", 1, 0)).toMatchObject({ status: "expired", request: { payload: "d", seq: 3 } });
  });
});
