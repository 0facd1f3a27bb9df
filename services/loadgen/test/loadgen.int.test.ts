import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { connectBus, createLogger, freePort, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { gatewayConfigSchema, startGateway } from "@fulcrum/gateway";
import { stageConfigSchema, startStage } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SentRequestRecord } from "@fulcrum/core/accounting";
import { loadgenConfigSchema, startLoadgen } from "../src/index.js";

const logger = createLogger({ service: "loadgen-test", level: "silent" });

describe("loadgen against a real gateway and stage", () => {
  let bus: Bus;
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-loadgen-"));
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "loadgen-test" });
  });
  afterAll(async () => {
    await bus?.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  it("replays a trace, accounts for every request, and reports rejections with their reason", async () => {
    const pipeline = `lg-${process.pid}`;
    const gateway = await startGateway(
      Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 1000, stages: [{ name: "classifier" }] }, { name: `${pipeline}-empty`, sloMs: 1000, stages: [{ name: "nobody" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 })),
      { logger, bus },
    );
    const stage = await startStage(
      Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", instance: "s0", family: "fashion", variant: "linear", modelDir: resolveModelDir(process.env, process.cwd()), heartbeatMs: 200 })),
      { logger, bus },
    );
    try {
      await expect.poll(() => gateway.router.replicasOf(pipeline, "classifier").length, { timeout: 10_000 }).toBe(1);
      const reportFile = join(dir, "report.json");
      const recordsFile = join(dir, "records.jsonl");
      const run = startLoadgen(
        Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, steps: [{ rps: 40, durationS: 1 }, { rps: 80, durationS: 1 }], sloMinMs: 500, sloMaxMs: 1500, seed: 4, reportFile, recordsFile })),
        { logger },
      );
      const report = await run.done;
      const s = report.summary;
      expect(report.planned).toBeGreaterThan(80);
      expect(s, JSON.stringify(s)).toMatchObject({ planned: report.planned, sent: report.planned, notSent: 0, unaccounted: 0, unaccountedPlanned: 0, ledgerExact: true });
      expect(s.sent).toBe(s.inTime + s.late + s.rejectedWithReason + s.failed);
      expect(s.inTime, JSON.stringify(s)).toBeGreaterThan(0.8 * s.sent);
      expect(s.variants).toEqual({ "classifier=linear": s.inTime + s.late });
      expect(JSON.parse(readFileSync(reportFile, "utf8")).summary).toEqual(s);
      const lines = readFileSync(recordsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SentRequestRecord);
      expect(lines).toHaveLength(s.sent);
      expect(lines.every((r) => r.sloMs >= 500 && r.sloMs <= 1500)).toBe(true);
      // The gateway saw exactly what the loadgen sent, and counted the errors as the client did.
      expect(gateway.totals(pipeline)).toMatchObject({ arrivals: s.sent, rejected: s.rejectedWithReason, failed: s.failed });

      const emptyRecords = join(dir, "empty.jsonl");
      const empty = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline: `${pipeline}-empty`, rateRps: 30, durationS: 1, seed: 2, recordsFile: emptyRecords })), { logger }).done;
      expect(empty.summary.sent).toBeGreaterThan(10);
      expect(empty.summary).toMatchObject({ inTime: 0, late: 0, failed: 0, ledgerExact: true, rejectedByCode: { UNAVAILABLE: empty.summary.sent } });
      // Each record carries the gateway's stable error code (the `fulcrum-error-code` trailer), not only the gRPC status.
      const refused = readFileSync(emptyRecords, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SentRequestRecord);
      expect(new Set(refused.map((r) => `${r.code}/${r.errorCode}`))).toEqual(new Set(["UNAVAILABLE/NO_REPLICA"]));
      expect(lines.filter((r) => r.fate === "in-time").every((r) => r.errorCode === undefined)).toBe(true);
    } finally {
      await gateway.shutdown();
      await stage.shutdown();
    }
  });
});

describe("loadgen: open loop and the ledger", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "loadgen-open-loop-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("sends on schedule however slow the answers, and counts what it could not send with the reason", async () => {
    const pipeline = `lg-slow-${process.pid}`;
    const gateway = await startGateway(Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 5000, stages: [{ name: "classifier" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 })), { logger, bus });
    // A stage that holds requests up to 600 ms (it waits for a batch of 64 that never fills).
    const stage = await startStage(
      Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", instance: "s0", family: "fashion", variant: "linear", modelDir: resolveModelDir(process.env, process.cwd()), heartbeatMs: 200, batchSize: 64, maxQueueDelayMs: 600 })),
      { logger, bus },
    );
    try {
      await expect.poll(() => gateway.router.replicasOf(pipeline, "classifier").length, { timeout: 10_000 }).toBe(1);
      const recordsFile = join(mkdtempSync(join(tmpdir(), "fulcrum-loadgen-open-")), "open.jsonl");
      const open = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, rateRps: 40, durationS: 2, sloMs: 3000, seed: 7, recordsFile })), { logger }).done;
      // Answers took 600 ms and more; sends were not held back by them. (On a starved machine the
      // sender itself may fall behind the plan: that is counted behind-schedule, never hidden.)
      expect(open.summary).toMatchObject({ planned: open.planned, ledgerExact: true, notSent: open.summary.notSentByReason["behind-schedule"] ?? 0 });
      // The batch leaves once its oldest request waited 600 ms, so waits spread over 0–600 ms: the
      // slowest answers took over 500 ms.
      expect(open.summary.latencyP99Ms).toBeGreaterThan(500);
      expect(open.summary.sendLagMaxMs).toBeLessThanOrEqual(1000);
      // Before the first answer came back, a whole hold's worth of requests was already out (a
      // closed loop would have had one).
      const records = readFileSync(recordsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SentRequestRecord);
      rmSync(dirname(recordsFile), { recursive: true, force: true });
      const firstAnswerMs = Math.min(...records.map((r) => r.sentMs + r.latencyMs));
      expect(records.filter((r) => r.sentMs < firstAnswerMs).length).toBeGreaterThanOrEqual(10);

      // With at most 5 in flight, the rest of each 600 ms is not sent, counted with the reason.
      const bounded = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, rateRps: 40, durationS: 2, sloMs: 3000, seed: 8, maxInFlight: 5 })), { logger }).done;
      const b = bounded.summary;
      expect(b.notSentByReason["in-flight-bound"]).toBeGreaterThan(20);
      expect(b).toMatchObject({ planned: bounded.planned, notSent: bounded.planned - b.sent, ledgerExact: true });

      // Stopped halfway: the rest of the plan is not sent, reason `stopped`.
      const run = startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, rateRps: 40, durationS: 3, sloMs: 3000, seed: 9 })), { logger });
      setTimeout(() => run.stop(), 1000);
      const stopped = (await run.done).summary;
      expect(stopped.notSentByReason.stopped).toBeGreaterThan(40);
      expect(stopped).toMatchObject({ notSent: stopped.notSentByReason.stopped, ledgerExact: true });
    } finally {
      await gateway.shutdown();
      await stage.shutdown();
    }
  });

  it("stamps each answer when it arrives while it catches up after a stall, not after the overdue requests went out", async () => {
    const pipeline = `lg-stall-${process.pid}`;
    // A pipeline with no replica: the gateway refuses every request at once (NO_REPLICA).
    const gateway = await startGateway(Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 1000, stages: [{ name: "nobody" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 })), { logger, bus });
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-loadgen-stall-"));
    try {
      const recordsFile = join(dir, "stall.jsonl");
      const stallMs = 150;
      // At the start of the trace's second second this process stalls (as when its CPU is taken
      // away): the requests planned during the stall are overdue when it ends.
      const onSecond = (second: number): void => {
        const until = performance.now() + stallMs;
        if (second === 1) while (performance.now() < until);
      };
      const report = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, steps: [{ rps: 300, durationS: 2 }], sloMs: 1000, seed: 5, recordsFile })), { logger, onSecond }).done;
      expect(report.summary).toMatchObject({ notSent: 0, ledgerExact: true });
      const records = readFileSync(recordsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SentRequestRecord);
      const overdue = records.filter((r) => r.atMs >= 1000 && r.atMs < 1000 + stallMs - 10);
      expect(overdue.length).toBeGreaterThan(20);
      expect(overdue.every((r) => r.sentMs - r.atMs > 5)).toBe(true);
      // Answers to the first overdue requests were stamped before the last overdue one went out:
      // sending them all in one synchronous burst would have stamped every answer after it.
      const lastSentMs = Math.max(...overdue.map((r) => r.sentMs));
      expect(overdue.filter((r) => r.sentMs + r.latencyMs < lastSentMs).length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await gateway.shutdown();
    }
  });

  it("counts errors its transport made up (nobody listening) as failed, not as reasons; waits for a connection only up to its bound", async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const capture = createLogger({ service: "loadgen-test", level: "warn", destination: new Writable({ write: (chunk: Buffer, _enc, done) => done(void warnings.push(chunk.toString("utf8"))) }) });
    const startedMs = Date.now();
    const report = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: `127.0.0.1:${port}`, pipeline: "nobody", rateRps: 20, durationS: 1, sloMs: 500, graceMs: 500, seed: 3, connectTimeoutMs: 300 })), { logger: capture }).done;
    expect(Date.now() - startedMs).toBeLessThan(5000);
    expect(warnings.join("")).toContain(`not connected to 127.0.0.1:${port} after 300 ms`);
    const s = report.summary;
    expect(s.sent).toBeGreaterThan(5);
    expect(s).toMatchObject({ inTime: 0, late: 0, rejectedWithReason: 0, failed: s.sent, ledgerExact: true });
    expect(s.failedByCode).toEqual({ UNAVAILABLE: s.sent });
  });

  it("stop() while it waits for a connection ends the run at once, every planned request not sent (stopped)", async () => {
    const port = await freePort();
    const run = startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: `127.0.0.1:${port}`, pipeline: "nobody", rateRps: 20, durationS: 1, seed: 4, connectTimeoutMs: 60_000 })), { logger });
    setTimeout(() => run.stop(), 200);
    const startedMs = Date.now();
    const s = (await run.done).summary;
    expect(Date.now() - startedMs).toBeLessThan(3000);
    expect(s).toMatchObject({ sent: 0, ledgerExact: true });
    expect(s.notSentByReason).toEqual({ stopped: s.planned });
  });
});
