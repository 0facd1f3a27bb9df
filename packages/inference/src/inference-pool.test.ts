import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InferencePool } from "./inference-pool.js";
import { mlpForward, writeMlpModel } from "./testing/mlp-model.js";
import type { MlpModel } from "./testing/mlp-model.js";
import type { TensorData } from "./tensor.js";

let dir: string;
let modelA: { path: string; model: MlpModel };
let modelB: { path: string; model: MlpModel };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fulcrum-pool-"));
  modelA = writeMlpModel(dir, "a", { inputSize: 16, hiddenSizes: [32, 32], outputSize: 4, seed: 1 });
  modelB = writeMlpModel(dir, "b", { inputSize: 16, hiddenSizes: [24], outputSize: 4, seed: 2 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function input(batch: number, seed: number): { x: Float32Array; tensor: TensorData } {
  const x = Float32Array.from({ length: batch * 16 }, (_, i) => Math.sin(seed * 31 + i));
  return { x, tensor: { dtype: "float32", dims: [batch, 16], data: new Uint8Array(x.buffer.slice(0)) } };
}

function expectMatches(model: MlpModel, x: Float32Array, batch: number, out: TensorData | undefined): void {
  expect(out?.dtype).toBe("float32");
  expect(out?.dims).toEqual([batch, 4]);
  const y = new Float32Array(out!.data.buffer, out!.data.byteOffset, out!.data.byteLength / 4);
  const ref = mlpForward(model, x, batch);
  for (let i = 0; i < ref.length; i++) expect(y[i]).toBeCloseTo(ref[i] as number, 4);
}

describe("InferencePool basic run", () => {
  it("loads, warms and runs batches, returning correct outputs and the session key", async () => {
    const pool = new InferencePool({ spareWorkers: 0 });
    try {
      const info = await pool.prepare({ modelPath: modelA.path, cores: 1, warmupBatchSizes: [4] });
      expect(info).toMatchObject({ modelPath: modelA.path, cores: 1, key: `${modelA.path}#1c`, warmedBatchSizes: [1, 4] });
      expect(info.inputs).toEqual([{ name: "x", dtype: "float32", shape: ["N", 16] }]);
      expect(info.outputs).toEqual([{ name: "y", dtype: "float32", shape: ["N", 4] }]);
      pool.activate(info.key);
      for (const batch of [1, 4, 7]) {
        const { x, tensor } = input(batch, batch);
        const r = await pool.run({ x: tensor });
        expect(r.sessionKey).toBe(info.key);
        expect(r.runMs).toBeGreaterThan(0);
        expectMatches(modelA.model, x, batch, r.outputs.y);
      }
    } finally {
      await pool.close();
    }
  });
});

/** Nice value of each thread of this process, by thread id (Linux `/proc`). */
function threadNiceness(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
  }
  return out;
}

describe.runIf(existsSync("/proc/thread-self"))("InferencePool thread priority", () => {
  it("runs the inference threads at inferenceNiceness and leaves the event loop's thread alone", async () => {
    const before = threadNiceness();
    const pool = new InferencePool({ spareWorkers: 0, inferenceNiceness: 7 });
    try {
      await pool.prepare({ modelPath: modelA.path, cores: 2 });
      const added = [...threadNiceness()].filter(([tid]) => !before.has(tid));
      // The worker thread and onnxruntime's extra intra-op thread (cores = 2) both run at nice 7.
      expect(added.filter(([, nice]) => nice === 7).length).toBeGreaterThanOrEqual(2);
      expect(threadNiceness().get(process.pid)).toBe(before.get(process.pid));
    } finally {
      await pool.close();
    }
  });

  it("leaves the inference threads at the process's priority by default", async () => {
    const before = threadNiceness();
    const pool = new InferencePool({ spareWorkers: 0 });
    try {
      await pool.prepare({ modelPath: modelA.path, cores: 2 });
      const added = [...threadNiceness()].filter(([tid]) => !before.has(tid));
      expect(added.length).toBeGreaterThanOrEqual(2);
      expect(added.filter(([, nice]) => nice !== before.get(process.pid))).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it("rejects a nice value outside 0–19", () => {
    expect(() => new InferencePool({ inferenceNiceness: 20 })).toThrow("InferencePool option inferenceNiceness=20: expected an integer from 0 to 19");
  });
});

describe("InferencePool buffers and errors", () => {
  let pool: InferencePool;
  let key: string;
  beforeAll(async () => {
    pool = new InferencePool({ spareWorkers: 0 });
    key = (await pool.prepare({ modelPath: modelA.path, cores: 1 })).key;
  });
  afterAll(() => pool.close());

  it("rejects run before any activate with NoActiveSessionError", async () => {
    await expect(pool.run({ x: input(1, 1).tensor })).rejects.toMatchObject({ name: "NoActiveSessionError" });
    pool.activate(key);
  });

  it("transfers a full-span input buffer (detached in the caller) and copies a sub-view", async () => {
    pool.activate(key);
    const whole = input(2, 5);
    const r1 = await pool.run({ x: whole.tensor });
    expect(whole.tensor.data.byteLength).toBe(0);
    expectMatches(modelA.model, whole.x, 2, r1.outputs.y);

    const big = new Uint8Array(3 * 2 * 16 * 4);
    const view = input(2, 6);
    big.set(view.tensor.data, 2 * 16 * 4);
    const sub: TensorData = { dtype: "float32", dims: [2, 16], data: big.subarray(2 * 16 * 4, 4 * 16 * 4) };
    const r2 = await pool.run({ x: sub });
    expect(big.byteLength).toBe(3 * 2 * 16 * 4);
    expectMatches(modelA.model, view.x, 2, r2.outputs.y);
    const y = r2.outputs.y!;
    expect([y.data.byteOffset, y.data.byteLength]).toEqual([0, y.data.buffer.byteLength]);
  });

  it("runBatch concatenates per-request parts (copied, never detached) and reuses batch buffers the worker hands back", async () => {
    pool.activate(key);
    const before = pool.bufferCounts;
    for (let i = 0; i < 12; i++) {
      const parts = [input(1, 20 + i), input(2, 40 + i)];
      const r = await pool.runBatch({ x: parts.map((p) => p.tensor) });
      expect(parts.map((p) => p.tensor.data.byteLength)).toEqual([64, 128]);
      const x = new Float32Array([...parts[0]!.x, ...parts[1]!.x]);
      expectMatches(modelA.model, x, 3, r.outputs.y);
    }
    const after = pool.bufferCounts;
    // One batch in flight at a time here: the first batch allocates, every later one reuses it.
    expect(after.allocated - before.allocated).toBe(1);
    expect(after.reused - before.reused).toBe(11);
  });

  it("runBatch rejects parts that do not stack, naming the tensor", async () => {
    pool.activate(key);
    const bad = pool.runBatch({ x: [input(1, 1).tensor, { dtype: "float32", dims: [1, 8], data: new Uint8Array(32) }] });
    await expect(bad).rejects.toThrow('tensor "x": dims [1,8] do not match [*,16] in the same batch');
  });

  const bad: ReadonlyArray<{ name: string; inputs: Record<string, TensorData>; error: string; message: RegExp }> = [
    {
      name: "truncated bytes",
      inputs: { x: { dtype: "float32", dims: [2, 16], data: new Uint8Array(100) } },
      error: "TensorError",
      message: /^tensor "x": 100 bytes, expected 128 for float32\[2,16\]$/,
    },
    {
      name: "unsupported dtype",
      inputs: { x: { dtype: "string" as "float32", dims: [1], data: new Uint8Array(4) } },
      error: "TensorError",
      message: /^tensor "x": unsupported dtype string$/,
    },
    {
      name: "negative dim",
      inputs: { x: { dtype: "float32", dims: [-1, 16], data: new Uint8Array(0) } },
      error: "TensorError",
      message: /dims \[-1,16\] must be integers ≥ 0/,
    },
    { name: "no inputs", inputs: {}, error: "TensorError", message: /at least one input tensor/ },
    {
      name: "wrong feature width (onnxruntime refuses)",
      inputs: { x: { dtype: "float32", dims: [1, 8], data: new Uint8Array(32) } },
      error: "InferenceRunError",
      message: /^inference on .*#1c failed: .*/,
    },
    {
      name: "unknown input name (onnxruntime refuses)",
      inputs: { z: { dtype: "float32", dims: [1, 16], data: new Uint8Array(64) } },
      error: "InferenceRunError",
      message: /failed: .*/,
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with ${c.error}, then keeps serving`, async () => {
      pool.activate(key);
      const err = await pool.run(c.inputs).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.name).toBe(c.error);
      expect(err?.message).toMatch(c.message);
      const ok = input(3, 9);
      expectMatches(modelA.model, ok.x, 3, (await pool.run({ x: ok.tensor })).outputs.y);
    });
  }

  it("reports bad prepare arguments and unloadable models", async () => {
    await expect(pool.prepare({ modelPath: modelA.path, cores: 0 })).rejects.toThrow("prepare: cores must be an integer ≥ 1, got 0");
    await expect(pool.prepare({ modelPath: join(dir, "missing.onnx"), cores: 1 })).rejects.toMatchObject({
      name: "SessionLoadError",
      sessionKey: `${join(dir, "missing.onnx")}#1c`,
    });
    expect(pool.sessions().map((s) => s.key)).toEqual([key]);
    expect(() => pool.activate("nope#1c")).toThrow("session nope#1c is not ready: not prepared (or evicted from the cache)");
  });
});

describe("InferencePool live reconfiguration", () => {
  it("runs 200+ batches while switching sessions; none fails and each names the session active at submit", async () => {
    const pool = new InferencePool({ maxCachedSessions: 3, spareWorkers: 1 });
    try {
      const specs = [
        { modelPath: modelA.path, cores: 1 },
        { modelPath: modelB.path, cores: 1 },
        { modelPath: modelA.path, cores: 2 },
      ];
      const modelOf = (k: string): MlpModel => (k.startsWith(modelA.path) ? modelA.model : modelB.model);
      pool.activate((await pool.prepare(specs[0]!)).key);

      let activations = 0;
      let trafficDone = false;
      const reconfig = (async () => {
        for (let i = 1; !trafficDone || activations < 6; i++) {
          const info = await pool.prepare({ ...specs[i % specs.length]!, warmupBatchSizes: [8] });
          pool.activate(info.key);
          activations++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();

      const seenKeys = new Set<string>();
      let completed = 0;
      const client = async (id: number): Promise<void> => {
        for (let n = 0; completed < 200 || activations < 6; n++) {
          const batch = 1 + ((n + id) % 8);
          const { x, tensor } = input(batch, id * 1000 + n);
          const expectedKey = pool.activeKey!;
          const r = await pool.run({ x: tensor });
          expect(r.sessionKey).toBe(expectedKey);
          expectMatches(modelOf(r.sessionKey), x, batch, r.outputs.y);
          seenKeys.add(r.sessionKey);
          completed++;
        }
      };
      await Promise.all([client(1), client(2)]);
      trafficDone = true;
      await reconfig;
      expect(completed).toBeGreaterThanOrEqual(200);
      expect(activations).toBeGreaterThanOrEqual(6);
      expect(seenKeys.size).toBe(3);
      expect(pool.sessions().length).toBeLessThanOrEqual(3);
    } finally {
      await pool.close();
    }
  });

  it("finishes a batch submitted before activate on the old session, the next one on the new", async () => {
    const pool = new InferencePool({ spareWorkers: 0 });
    try {
      const a = await pool.prepare({ modelPath: modelA.path, cores: 1 });
      const b = await pool.prepare({ modelPath: modelB.path, cores: 1 });
      pool.activate(a.key);
      const first = input(4, 1);
      const second = input(4, 2);
      const p1 = pool.run({ x: first.tensor });
      pool.activate(b.key);
      const p2 = pool.run({ x: second.tensor });
      const [r1, r2] = await Promise.all([p1, p2]);
      expect([r1.sessionKey, r2.sessionKey]).toEqual([a.key, b.key]);
      expectMatches(modelA.model, first.x, 4, r1.outputs.y);
      expectMatches(modelB.model, second.x, 4, r2.outputs.y);
    } finally {
      await pool.close();
    }
  });

  it("keeps an LRU cache: flipping back is not a reload, the oldest inactive session is disposed", async () => {
    const pool = new InferencePool({ maxCachedSessions: 2, spareWorkers: 0 });
    try {
      const a1 = await pool.prepare({ modelPath: modelA.path, cores: 1 });
      pool.activate(a1.key);
      const b1 = await pool.prepare({ modelPath: modelB.path, cores: 1 });
      pool.activate(b1.key);
      // Flip back to a1: served from the cache (same load), now warmed at 2 as well.
      const again = await pool.prepare({ modelPath: modelA.path, cores: 1, warmupBatchSizes: [2] });
      expect(again.loadMs).toBe(a1.loadMs);
      expect(again.warmedBatchSizes).toEqual([1, 2]);
      pool.activate(a1.key);
      // A third session pushes out the least recently used inactive one: b1.
      const a2 = await pool.prepare({ modelPath: modelA.path, cores: 2 });
      expect(pool.sessions().map((s) => [s.key, s.active])).toEqual([
        [a1.key, true],
        [a2.key, false],
      ]);
      await expect(pool.run({ x: input(1, 1).tensor }, { sessionKey: b1.key })).rejects.toMatchObject({ name: "SessionNotReadyError" });
      const r = await pool.run({ x: input(1, 1).tensor }, { sessionKey: a2.key });
      expect(r.sessionKey).toBe(a2.key);
    } finally {
      await pool.close();
    }
  });

  it("with a cache of 1, disposes the previous session after its in-flight batch", async () => {
    const pool = new InferencePool({ maxCachedSessions: 1, spareWorkers: 0 });
    try {
      const a = await pool.prepare({ modelPath: modelA.path, cores: 1 });
      pool.activate(a.key);
      const b = await pool.prepare({ modelPath: modelB.path, cores: 1 });
      expect(pool.sessions().map((s) => s.key)).toEqual([a.key, b.key]);
      const inflight = pool.run({ x: input(8, 3).tensor });
      pool.activate(b.key);
      expect(pool.sessions().map((s) => s.key)).toEqual([b.key]);
      expect((await inflight).sessionKey).toBe(a.key);
    } finally {
      await pool.close();
    }
  });
});

describe("InferencePool worker crashes", () => {
  for (const fault of ["exit-on-next-run", "throw-on-next-run"] as const) {
    it(`${fault}: the batches in the worker fail with WorkerCrashedError, the worker is replaced, later batches succeed`, async () => {
      const pool = new InferencePool({ spareWorkers: 1 });
      try {
        const info = await pool.prepare({ modelPath: modelA.path, cores: 1, warmupBatchSizes: [4] });
        pool.activate(info.key);
        await pool.injectFault(info.key, fault);
        // The worker holds two batches (the running one and the next): a crash takes both.
        const doomed = [pool.run({ x: input(2, 1).tensor }), pool.run({ x: input(3, 3).tensor })];
        const queued = input(4, 2);
        const after = pool.run({ x: queued.tensor });
        for (const d of doomed) {
          const err = await d.then(
            () => undefined,
            (e: unknown) => e as Error & { sessionKey: string; exitCode: number | null },
          );
          expect(err?.name).toBe("WorkerCrashedError");
          expect(err?.sessionKey).toBe(info.key);
          expect(err?.message).toMatch(fault === "exit-on-next-run" ? /crashed \(exit code 70\)/ : /crashed \(error: injected fault/);
        }
        const r = await after;
        expect(r.sessionKey).toBe(info.key);
        expectMatches(modelA.model, queued.x, 4, r.outputs.y);
        expect(pool.sessions()[0]).toMatchObject({ key: info.key, state: "ready", active: true });
      } finally {
        await pool.close();
      }
    });
  }
});

describe("InferencePool failed recovery", () => {
  it("when the replacement cannot reload, batches fail as not ready until prepare loads it afresh", async () => {
    const path = join(dir, "fragile.onnx");
    copyFileSync(modelA.path, path);
    const pool = new InferencePool({ spareWorkers: 0 });
    try {
      const info = await pool.prepare({ modelPath: path, cores: 1 });
      pool.activate(info.key);
      await pool.injectFault(info.key, "exit-on-next-run");
      rmSync(path);
      await expect(pool.run({ x: input(1, 1).tensor })).rejects.toMatchObject({ name: "WorkerCrashedError" });
      const err = await pool.run({ x: input(1, 2).tensor }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.name).toBe("SessionNotReadyError");
      expect(err?.message).toBe(`session ${info.key} is not ready: its worker could not be restored`);
      expect((err?.cause as Error | undefined)?.name).toBe("SessionLoadError");
      copyFileSync(modelA.path, path);
      const again = await pool.prepare({ modelPath: path, cores: 1 });
      pool.activate(again.key);
      const ok = input(2, 3);
      expectMatches(modelA.model, ok.x, 2, (await pool.run({ x: ok.tensor })).outputs.y);
    } finally {
      await pool.close();
    }
  });
});

describe("InferencePool.close", () => {
  it("is idempotent, lets submitted batches finish, then refuses work", async () => {
    const pool = new InferencePool();
    const info = await pool.prepare({ modelPath: modelA.path, cores: 1 });
    pool.activate(info.key);
    const { x, tensor } = input(5, 4);
    const inflight = pool.run({ x: tensor });
    const c1 = pool.close();
    const c2 = pool.close();
    expect(c1).toBe(c2);
    expectMatches(modelA.model, x, 5, (await inflight).outputs.y);
    await c1;
    await expect(pool.run({ x: input(1, 1).tensor })).rejects.toMatchObject({ name: "PoolClosedError" });
    await expect(pool.prepare({ modelPath: modelA.path, cores: 1 })).rejects.toMatchObject({ name: "PoolClosedError" });
    expect(() => pool.activate(info.key)).toThrow("inference pool is closed");
  });
});
