import { createPerfModel } from "@fulcrum/core/perf";
import { createRng } from "@fulcrum/core/rng";
import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";
import { DRAINING, READY, Replica, STARTING, type ReplicaState } from "./replica.js";
import { createInterimRouter } from "./router.js";
import { perfServiceTime } from "./service-time.js";

const model = perfServiceTime({ median: createPerfModel({ a: { fit: { gammaMs: 0, deltaMs: 1, epsilonMs: 0, etaMs: 1 } }, b: { fit: { gammaMs: 0, deltaMs: 1, epsilonMs: 0, etaMs: 1 } } }) });
const hooks = { served: () => {}, dropped: () => {}, changed: () => {}, coresCharged: () => {} };
let next = 0;
const replica = (variant: number, state: ReplicaState = READY): Replica =>
  new Replica(next++, 0, ["a", "b"], variant, 1, 1, state, model, { maxQueueDelayMs: 0, maxQueueSize: 8, safetyMarginMs: 0, maxBatch: 1 }, new EventQueue(), hooks, createRng(1));

describe("interim router", () => {
  it("splits by the weights among ready variants, spread out (smooth weighted round robin)", () => {
    const router = createInterimRouter([2]);
    const a = replica(0);
    const b = replica(1);
    router.update(a);
    router.update(b);
    router.setWeights(0, [0.75, 0.25]);
    const picks = Array.from({ length: 8 }, () => {
      const r = router.pick(0)!;
      router.release(r);
      return r === a ? "a" : "b";
    });
    // Scores (a, b) after adding the weights: (.75, .25) → a; (.5, .5) → a (ties to the first);
    // (.25, .75) → b; (1, 0) → a; then the cycle repeats.
    expect(picks.join("")).toBe("aabaaaba");
  });

  it("picks the least-outstanding ready replica of the variant, round robin among equals", () => {
    const router = createInterimRouter([2]);
    const [x, y, z] = [replica(0), replica(0), replica(0)];
    for (const r of [x, y, z]) router.update(r);
    router.setWeights(0, [1, 0]);
    const first = [router.pick(0)!, router.pick(0)!, router.pick(0)!];
    expect(new Set(first).size).toBe(3);
    router.release(y);
    expect(router.pick(0)).toBe(y);
    expect(x.outstanding + y.outstanding + z.outstanding).toBe(3);
  });

  it("never picks starting or draining replicas; with no assigned variant ready any ready one serves", () => {
    const router = createInterimRouter([2]);
    const s = replica(0, STARTING);
    const d = replica(0, READY);
    router.update(s);
    router.update(d);
    router.setWeights(0, [1, 0]);
    expect(router.pick(0)).toBe(d);
    d.state = DRAINING;
    router.update(d);
    expect(router.pick(0)).toBeUndefined();
    const b = replica(1);
    router.update(b);
    expect(router.pick(0)).toBe(b);
  });
});
