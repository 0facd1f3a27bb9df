import { connect, constants, type IncomingHttpHeaders } from "node:http2";
import { PassThrough } from "node:stream";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { control, inference, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, fp32Request, OipClient, oipParam, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { stageConfigSchema, startStage, type StageHandle } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema, startGateway, type GatewayHandle } from "../src/index.js";

const silent = createLogger({ service: "gateway-overload-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());
const TAIL = [1, 28, 28];
let seq = 0;

/**
 * A real stage that holds each request until a full batch of 16 or `holdMs` has passed, unless its
 * deadline comes first (the EDF batcher dispatches by the earliest deadline): a pipeline that is
 * slow on purpose, deterministically.
 */
function holdingStage(pipeline: string, bus: Bus, holdMs: number): Promise<StageHandle> {
  return startStage(
    Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", instance: "hold", family: "fashion", variant: "linear", modelDir, heartbeatMs: 200, batchSize: 16, maxQueueDelayMs: holdMs })),
    { logger: silent, bus },
  );
}

async function gatewayWithStage(bus: Bus, over: Record<string, unknown>, holdMs: number, logger = silent): Promise<{ pipeline: string; gateway: GatewayHandle; stage: StageHandle }> {
  const pipeline = `ovl${++seq}-${process.pid}`;
  const gateway = await startGateway(
    Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 10_000, stages: [{ name: "classifier" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0, ...over })),
    { logger, bus },
  );
  const stage = await holdingStage(pipeline, bus, holdMs);
  await expect.poll(() => gateway.router.liveReplicas(pipeline, "classifier", Date.now()).length, { timeout: 20_000 }).toBe(1);
  return { pipeline, gateway, stage };
}

/** One ModelInfer call over a raw HTTP/2 stream whose message follows its headers after `bodyDelayMs`. */
async function rawInfer(address: string, req: inference.ModelInferRequest, bodyDelayMs: number): Promise<{ code: number; message: string }> {
  const session = connect(`http://${address}`);
  await new Promise<void>((resolve, reject) => session.once("connect", () => resolve()).once("error", reject));
  const msg = inference.ModelInferRequest.encode(req).finish();
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(frame, 5);
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": "/inference.GRPCInferenceService/ModelInfer", "content-type": "application/grpc", te: "trailers" }, { endStream: false });
    const done = (h: IncomingHttpHeaders): void => {
      if (h["grpc-status"] === undefined) return;
      session.close();
      resolve({ code: Number(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"] ?? "")) });
    };
    stream.on("response", done);
    stream.on("trailers", done);
    stream.on("data", () => {});
    stream.on("error", reject);
    setTimeout(() => stream.end(frame), bodyDelayMs);
  });
}

async function scrape(gateway: GatewayHandle, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.metricsPort}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(metric))
    .reduce((s, l) => s + Number(l.split(" ").pop()), 0);
}

describe("gateway under overload: arrival, client deadlines, admission, transport errors", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "gateway-overload-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("counts a request's deadline from its HTTP/2 stream's arrival, not from when its message was read", async () => {
    const { pipeline, gateway, stage } = await gatewayWithStage(bus, {}, 5);
    try {
      const req = inference.ModelInferRequest.fromPartial(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(1000) } }));
      expect(await rawInfer(gateway.grpcAddress, req, 0)).toEqual({ code: status.OK, message: "OK" });
      // Headers now, message 1.3 s later: by the time the handler runs, the 1 s budget counted
      // from arrival is gone. (Counted from the handler, it would be served in time.)
      const slow = await rawInfer(gateway.grpcAddress, req, 1300);
      expect(slow.code).toBe(status.DEADLINE_EXCEEDED);
      expect(slow.message).toMatch(new RegExp(`^pipeline "${pipeline}": deadline passed \\d+\\.\\d ms ago at arrival$`));
      expect(Number(/passed (\d+\.\d)/.exec(slow.message)![1])).toBeGreaterThanOrEqual(250);
      expect(gateway.totals(pipeline)).toEqual({ arrivals: 2, inTime: 1, late: 0, rejected: 1, failed: 0 });
    } finally {
      await gateway.shutdown();
      await stage.shutdown();
    }
  });

  it("honours the client's gRPC deadline when it is earlier than the request's SLO", async () => {
    // The stage holds a lone request 3 s unless its deadline says otherwise.
    const { pipeline, gateway, stage } = await gatewayWithStage(bus, {}, 3000);
    const windows: control.GatewayMetrics[] = [];
    const sub = bus.subscribe(subjects.gatewayMetrics(pipeline), control.GatewayMetrics, (m) => void windows.push(m));
    const client = new OipClient(gateway.grpcAddress, { callTimeoutMs: 1000 });
    try {
      // Connected first, so the client's 1 s is not spent on name resolution and the handshake.
      expect(await client.ready()).toBe(true);
      const t0 = performance.now();
      const outcome = client.infer(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(10_000) } }));
      // The stage finished with it (answered or dropped it early) by the client's deadline, not
      // after its 3 s hold: the deadline it was given was the client's 1 s, not the 10 s SLO.
      await expect.poll(() => stage.server.totals.completions + stage.server.totals.earlyDrops, { timeout: 2500, interval: 20 }).toBe(1);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect([status.OK, status.DEADLINE_EXCEEDED]).toContain((await outcome).code ?? status.OK);
      await expect.poll(() => windows.find((w) => w.arrivals === 1), { timeout: 5000 }).toBeDefined();
      const budget = windows.find((w) => w.arrivals === 1)!.budgetP50Ms;
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(1000);
    } finally {
      client.close();
      await sub.stop();
      await gateway.shutdown();
      await stage.shutdown();
    }
  });

  it("counts a call the client cancelled once, as failed, with a metric and a log line", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new PassThrough();
    sink.on("data", (d: Buffer) => d.toString("utf8").trim().split("\n").forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger({ service: "gateway-overload-test", level: "warn", destination: sink });
    const { pipeline, gateway, stage } = await gatewayWithStage(bus, {}, 1500, logger);
    const client = new OipClient(gateway.grpcAddress);
    try {
      const req = inference.ModelInferRequest.fromPartial(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(10_000) } }));
      const code = await new Promise<number>((resolve) => {
        const call = client.raw.modelInfer(req, new Metadata(), (err: ServiceError | null) => resolve(err ? err.code : status.OK));
        setTimeout(() => call.cancel(), 300);
      });
      expect(code).toBe(status.CANCELLED);
      await expect.poll(() => gateway.totals(pipeline)?.failed, { timeout: 5000 }).toBe(1);
      expect(await scrape(gateway, 'fulcrum_gateway_transport_errors_total{kind="cancelled"}')).toBe(1);
      await expect.poll(() => lines.find((l) => l.msg === "calls closed by the client or the transport before the gateway answered (counted failed, or rejected when the client's deadline had passed)"), { timeout: 5000 }).toMatchObject({ count: 1, byKind: { cancelled: 1 } });
      // The stage answers after its hold; the request is not counted a second time.
      await expect.poll(() => stage.server.totals.completions, { timeout: 10_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(gateway.totals(pipeline)).toEqual({ arrivals: 1, inTime: 0, late: 0, rejected: 0, failed: 1 });
    } finally {
      client.close();
      await gateway.shutdown();
      await stage.shutdown();
    }
  });

  it("counts calls that closed before the handler took them: a reset stream as failed, an expired client deadline as rejected", async () => {
    const { pipeline, gateway, stage } = await gatewayWithStage(bus, {}, 5);
    try {
      // Headers only, then the client resets the stream: grpc-js never runs the handler.
      const session = connect(`http://${gateway.grpcAddress}`);
      await new Promise<void>((resolve, reject) => session.once("connect", () => resolve()).once("error", reject));
      const headers = { ":method": "POST", ":path": "/inference.GRPCInferenceService/ModelInfer", "content-type": "application/grpc", te: "trailers" };
      const reset = session.request(headers, { endStream: false });
      reset.on("error", () => {});
      await new Promise((r) => setTimeout(r, 200));
      reset.close(constants.NGHTTP2_CANCEL);
      await expect.poll(() => gateway.totals(pipeline)?.failed, { timeout: 5000 }).toBe(1);
      // Headers with a 300 ms gRPC deadline and no message: the deadline passes before any handler.
      const expired = session.request({ ...headers, "grpc-timeout": "300m" }, { endStream: false });
      const code = await new Promise<number>((resolve) => {
        const done = (h: IncomingHttpHeaders): void => void (h["grpc-status"] !== undefined && resolve(Number(h["grpc-status"])));
        expired.on("response", done);
        expired.on("trailers", done);
        expired.on("data", () => {});
        expired.on("error", () => {});
      });
      expect(code).toBe(status.DEADLINE_EXCEEDED);
      await expect.poll(() => gateway.totals(pipeline)?.rejected, { timeout: 5000 }).toBe(1);
      session.close();
      expect(gateway.totals(pipeline)).toEqual({ arrivals: 2, inTime: 0, late: 0, rejected: 1, failed: 1 });
      expect(await scrape(gateway, 'fulcrum_gateway_transport_errors_total{kind="cancelled"}')).toBe(1);
      expect(await scrape(gateway, 'fulcrum_gateway_transport_errors_total{kind="deadline"}')).toBe(1);
      expect(stage.server.totals.completions).toBe(0);
    } finally {
      await gateway.shutdown();
      await stage.shutdown();
    }
  });

  it("refuses beyond its admission limit with RESOURCE_EXHAUSTED at once, and counts what the clients saw", async () => {
    const { pipeline, gateway, stage } = await gatewayWithStage(bus, { maxInFlight: 2 }, 400);
    const client = new OipClient(gateway.grpcAddress);
    try {
      const t0 = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const o = await client.infer(fp32Request(pipeline, "input", TAIL, { params: { slo_ms: oipParam.int(5000) } }));
          return { ...o, ms: performance.now() - t0 };
        }),
      );
      const ok = outcomes.filter((o) => o.ok);
      const refused = outcomes.filter((o) => o.code === status.RESOURCE_EXHAUSTED);
      expect(ok).toHaveLength(2);
      expect(refused).toHaveLength(18);
      expect(new Set(refused.map((o) => o.details))).toEqual(new Set([`pipeline "${pipeline}": 2 requests in flight, the limit (retry later)`]));
      // Every refusal came back before the stage released the admitted ones from its 400 ms hold.
      expect(Math.max(...refused.map((o) => o.ms))).toBeLessThan(Math.min(...ok.map((o) => o.ms)));
      expect(gateway.totals(pipeline)).toEqual({ arrivals: 20, inTime: 2, late: 0, rejected: 18, failed: 0 });
      expect(await scrape(gateway, `fulcrum_gateway_shed_total{pipeline="${pipeline}",reason="in-flight-limit"}`)).toBe(18);
    } finally {
      client.close();
      await gateway.shutdown();
      await stage.shutdown();
    }
  });
});
