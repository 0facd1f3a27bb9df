import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferencePool, type SessionInfo, type TensorData } from "@fulcrum/inference";
import { mlpForward, writeMlpModel, type MlpModel } from "@fulcrum/inference/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StageRequest, StageResponse } from "../transport/codec.js";
import { IDLE_DROPS_BEFORE_PROBE, STALE_ESTIMATE_MS, StageServer, type StageServerOptions } from "./stage-server.js";

const clock = (): number => performance.timeOrigin + performance.now();
let dir: string;
let mlp: { path: string; model: MlpModel };
let pool: InferencePool;
let session: SessionInfo;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fulcrum-stage-server-"));
  mlp = writeMlpModel(dir, "m", { inputSize: 16, hiddenSizes: [32], outputSize: 4, seed: 3 });
  pool = new InferencePool({ spareWorkers: 0 });
  session = await pool.prepare({ modelPath: mlp.path, cores: 1, warmupBatchSizes: [1, 2, 4, 8] });
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

function server(over: Partial<StageServerOptions> = {}): StageServer {
  const s = new StageServer({ pool, clock, defaultSloMs: 60_000, maxQueueDelayMs: 0, maxQueueSize: 64, safetyMarginMs: 0, ...over });
  s.activate(session, "m", 8, [{ batchSize: 1, ms: 0.5 }]);
  return s;
}

let seq = 0;
function request(seed: number, rows = 1): { req: StageRequest; x: Float32Array } {
  const x = Float32Array.from({ length: rows * 16 }, (_, i) => Math.cos(seed + i));
  const data: TensorData = { dtype: "float32", dims: [rows, 16], data: new Uint8Array(x.buffer) };
  return { req: { id: `r${++seq}`, requestId: `r${seq}`, inputs: { x: data }, rows, outputs: [] }, x };
}

function submit(s: StageServer, req: StageRequest): Promise<StageResponse> {
  let calls = 0;
  return new Promise((resolve, reject) =>
    s.submit(req, (err, res) => {
      calls++;
      expect(calls).toBe(1);
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

function expectOutput(res: StageResponse, x: Float32Array, rows: number): void {
  const y = res.outputs.y!;
  expect(y.dims).toEqual([rows, 4]);
  const got = new Float32Array(y.data.buffer, y.data.byteOffset, y.data.byteLength / 4);
  const ref = mlpForward(mlp.model, x, rows);
  for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i] as number, 4);
}

describe("StageServer work-conserving batching", () => {
  it("an idle replica dispatches a lone request at once: batch of 1, no queueing delay", async () => {
    const s = server();
    const { req, x } = request(1);
    const res = await submit(s, req);
    expect(res.batchSize).toBe(1);
    // Dispatched in the same turn as its arrival: no batching window was waited out.
    expect(res.queueMs).toBeLessThan(1);
    // The batch's session.run time is part of the stage latency, never more than it.
    expect(res.sessionRunMs).toBeGreaterThan(0);
    expect(res.sessionRunMs).toBeLessThanOrEqual(res.stageLatencyMs);
    expectOutput(res, x, 1);
    await s.close(1000);
  });

  it("with an opt-in queue delay, an idle replica holds a partial batch for that long", async () => {
    const s = server({ maxQueueDelayMs: 40 });
    const res = await submit(s, request(2).req);
    expect(res.batchSize).toBe(1);
    expect(res.queueMs).toBeGreaterThanOrEqual(39);
    await s.close(1000);
  });

  it("batches only what queued while the session was busy, each answer matching its own rows", async () => {
    const s = server();
    const reqs = Array.from({ length: 9 }, (_, i) => request(10 + i, 1 + (i % 3)));
    const answers = await Promise.all(reqs.map((r) => submit(s, r.req)));
    // The first arrival found the session idle and ran alone; the other 8 queued behind it and
    // went as one full batch.
    expect(answers.map((a) => a.batchSize)).toEqual([1, 8, 8, 8, 8, 8, 8, 8, 8]);
    answers.forEach((a, i) => expectOutput(a, reqs[i]!.x, 1 + (i % 3)));
    expect(s.totals).toMatchObject({ arrivals: 9, completions: 9, batches: 2, failures: 0 });
    await s.close(1000);
  });

  it("reuses batch input buffers: a stream of equal batches allocates none after the first ones", async () => {
    const s = server();
    const before = pool.bufferCounts;
    for (let k = 0; k < 10; k++) await Promise.all(Array.from({ length: 3 }, (_, i) => submit(s, request(100 + 3 * k + i).req)));
    const after = pool.bufferCounts;
    // Each round is a batch of 1 then one of 2: two sizes, one buffer each at most in flight.
    expect(after.allocated - before.allocated).toBeLessThanOrEqual(2);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(18);
    await s.close(1000);
  });
});

describe("StageServer answers", () => {
  it("drops a hopeless request before the model with DEADLINE_EXCEEDED, exactly once", async () => {
    const s = server();
    const { req } = request(3);
    await expect(submit(s, { ...req, sloMs: 0.001 })).rejects.toMatchObject({ code: "DEADLINE_UNMEETABLE", kind: "deadline-exceeded" });
    expect(s.totals).toMatchObject({ earlyDrops: 1, batches: 0 });
    await s.close(1000);
  });

  it("does not refuse for ever on a pessimistic estimate: an idle replica forgets it after a few refusals, runs the next request and learns", async () => {
    let skewMs = 0;
    const s = new StageServer({ pool, clock: () => clock() + skewMs, defaultSloMs: 60_000, maxQueueDelayMs: 0, maxQueueSize: 64, safetyMarginMs: 0 });
    // A warm-up on a busy machine measured 500 ms; the model really takes well under 50 ms.
    s.activate(session, "m", 8, [{ batchSize: 1, ms: 500 }]);
    const refused = async (seed: number): Promise<void> => {
      await expect(submit(s, { ...request(seed).req, sloMs: 50 })).rejects.toMatchObject({ code: "DEADLINE_UNMEETABLE" });
    };
    // Refusals right after the estimate was seeded do not reset it: it is fresh.
    for (let i = 0; i < IDLE_DROPS_BEFORE_PROBE + 2; i++) await refused(20 + i);
    expect(s.totals).toMatchObject({ batches: 0, estimateResets: 0 });
    // Once nothing has checked it for STALE_ESTIMATE_MS, the next idle refusal resets it.
    skewMs = STALE_ESTIMATE_MS;
    await refused(27);
    expect(s.totals).toMatchObject({ earlyDrops: IDLE_DROPS_BEFORE_PROBE + 3, batches: 0, estimateResets: 1 });
    const { req, x } = request(30);
    expectOutput(await submit(s, { ...req, sloMs: 50 }), x, 1);
    // Measured now: the following requests are served too.
    for (let i = 0; i < 5; i++) await submit(s, { ...request(40 + i).req, sloMs: 50 });
    expect(s.totals).toMatchObject({ earlyDrops: IDLE_DROPS_BEFORE_PROBE + 3, completions: 6, estimateResets: 1 });
    await s.close(1000);
  });

  it("answers a full queue RESOURCE_EXHAUSTED and a closing server UNAVAILABLE", async () => {
    const s = server({ maxQueueSize: 1 });
    const first = submit(s, request(4).req); // dispatched at once
    const second = submit(s, request(5).req); // queued: a partial batch waits while the session is busy
    const third = submit(s, request(6).req);
    await expect(third).rejects.toMatchObject({ code: "QUEUE_FULL" });
    await Promise.all([first, second]);
    s.stopIntake();
    await expect(submit(s, request(7).req)).rejects.toMatchObject({ code: "STAGE_UNAVAILABLE" });
    await s.close(1000);
  });

  it("records when the first batch of each configuration finished", async () => {
    const s = server();
    await submit(s, request(8).req);
    s.setBatchSize(4);
    const [a, b] = s.activations.slice(-2);
    expect(a!.firstBatchDoneMs).toBeGreaterThanOrEqual(a!.atMs);
    expect(b).toMatchObject({ batchSize: 4, firstBatchDoneMs: undefined });
    await submit(s, request(9).req);
    expect(s.activations.at(-1)!.firstBatchDoneMs).toBeGreaterThanOrEqual(b!.atMs);
    await s.close(1000);
  });
});
