import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { EdfBatcher, PollBuffer } from "./edf-batcher.js";

// A full GC on demand: what tells us whether the batcher still reaches a payload it handed out.
setFlagsFromString("--expose-gc");
const rawGc = runInNewContext("gc") as () => void;
/** WeakRef targets stay alive until the current job ends: let it end, then collect. */
const gc = async (): Promise<void> => {
  await new Promise((r) => setTimeout(r, 0));
  rawGc();
};

/** Payloads stand in for the stage's requests (tensors plus a gRPC call): big enough to matter. */
interface Payload {
  readonly bytes: Uint8Array;
}

/**
 * Runs `n` requests with deadline `deadlineOf(i)` through a batcher (batches of 8 as the server
 * frees up) and returns weak references to the payloads it dispatched, plus the batcher (kept
 * alive, as a stage keeps its batcher).
 */
function flow(n: number, deadlineOf: (i: number) => number): { batcher: EdfBatcher<Payload>; dispatched: WeakRef<Payload>[] } {
  const batcher = new EdfBatcher<Payload>({ maxBatchSize: 8, latencyModel: (k) => k, safetyMarginMs: 0 });
  const out = new PollBuffer<Payload>();
  const dispatched: WeakRef<Payload>[] = [];
  const refs = new Map<Payload, WeakRef<Payload>>();
  let now = 0;
  for (let i = 0; i < n; i++) {
    const p = { bytes: new Uint8Array(1024) };
    refs.set(p, new WeakRef(p));
    batcher.enqueue(p, deadlineOf(i), now);
    // One request always stays queued, so the FIFO never empties (a busy stage's usual state).
    if (batcher.size > 8) {
      batcher.pollInto(now, undefined, out);
      for (let k = 0; k < out.batchSize; k++) dispatched.push(refs.get(out.batch[k]!.payload)!);
      now += 1;
    }
  }
  // The caller's buffer is its own to keep; empty it as a stage does once a batch is answered.
  out.batch.fill(undefined as never);
  refs.clear();
  return { batcher, dispatched };
}

describe("EdfBatcher retention", () => {
  it("keeps no dispatched payload reachable (it kept up to 1,024 of them, each with its request)", async () => {
    const { batcher, dispatched } = flow(401, () => 1e6);
    await gc();
    const alive = dispatched.filter((r) => r.deref() !== undefined).length;
    expect(dispatched.length).toBe(400);
    expect(alive).toBe(0);
    expect(batcher.size).toBe(1);
  });

  it("behind one long-deadline request that stays queued, keeps at most a few dozen dispatched payloads", async () => {
    // Request 0 has the latest deadline, so EDF leaves it queued while the others flow past it.
    const { batcher, dispatched } = flow(401, (i) => (i === 0 ? 1e9 : 1e6));
    await gc();
    const alive = dispatched.filter((r) => r.deref() !== undefined).length;
    expect(dispatched.length).toBe(400);
    expect(alive).toBeLessThanOrEqual(40);
    expect(batcher.size).toBe(1);
  });
});
