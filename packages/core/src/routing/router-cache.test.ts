import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Assignment } from "../assignment/index.js";
import { eligibleReplicas, leastOutstanding, type ReplicaInfo } from "./replica-choice.js";
import { Router, type Route, type RouterOptions } from "./router.js";
import { pickWeighted, type WrrState } from "./weighted-round-robin.js";

const NOW = 1_000_000;
const INSTANCES = ["x0", "x1", "x2", "x3", "x4"];
const VARIANTS = ["a", "b", "c"];
const STAGES = ["s", "t"];
const OPTIONS: RouterOptions = { staleMs: 5000, ejectMs: 1000 };
const replica = (over: Partial<ReplicaInfo> = {}): ReplicaInfo => ({ instance: "i0", stage: "s", address: "127.0.0.1:1", variant: "a", state: "ready", heartbeatMs: NOW, ...over });
const assignment = (version: number, ...perStage: Array<Array<[string, number]>>): Assignment => ({
  pipeline: "p",
  version,
  policy: "test",
  createdAtMs: NOW,
  stages: perStage.map((weights, i) => ({ stage: STAGES[i]!, variants: weights.map(([variant, weight]) => ({ variant, weight, batch: 1, coresPerReplica: 1, replicas: 1 })) })),
});

/**
 * The routing rule written plainly (filter, Set, sort, string keys per call), from the same
 * building blocks the Router documents: the compiled Router must choose exactly what this does.
 */
class PlainRouter {
  private readonly replicas = new Map<string, Map<string, ReplicaInfo>>();
  private readonly assignments = new Map<string, Assignment>();
  private readonly wrr = new Map<string, WrrState>();
  private readonly outstanding = new Map<string, number>();
  private readonly ejected = new Map<string, number>();
  private readonly ties = new Map<string, number>();
  private away = false;
  upsertReplica(pipeline: string, r: ReplicaInfo): void {
    const k = `${pipeline}\u0000${r.stage}`;
    if (!this.replicas.has(k)) this.replicas.set(k, new Map());
    this.replicas.get(k)!.set(r.instance, r);
  }
  removeReplica(pipeline: string, stage: string, instance: string): void {
    this.replicas.get(`${pipeline}\u0000${stage}`)?.delete(instance);
    this.ejected.delete(instance);
    this.outstanding.delete(instance);
  }
  applyAssignment(a: Assignment): boolean {
    const cur = this.assignments.get(a.pipeline);
    if (cur && cur.version >= a.version) return false;
    this.assignments.set(a.pipeline, a);
    return true;
  }
  setControlPlaneAway(away: boolean): void {
    this.away = away;
  }
  readmit(instance: string): void {
    this.ejected.delete(instance);
  }
  eject(instance: string, nowMs: number): void {
    this.ejected.set(instance, nowMs + OPTIONS.ejectMs);
  }
  begin(instance: string): void {
    this.outstanding.set(instance, (this.outstanding.get(instance) ?? 0) + 1);
  }
  end(instance: string): void {
    const n = (this.outstanding.get(instance) ?? 0) - 1;
    if (n > 0) this.outstanding.set(instance, n);
    else this.outstanding.delete(instance);
  }
  outstandingOf(instance: string): number {
    return this.outstanding.get(instance) ?? 0;
  }
  route(pipeline: string, stage: string, nowMs: number, exclude?: ReadonlySet<string>): Route | undefined {
    const k = `${pipeline}\u0000${stage}`;
    const all = [...(this.replicas.get(k)?.values() ?? [])];
    const live = eligibleReplicas(all, { nowMs, staleMs: OPTIONS.staleMs, ejectedUntil: this.ejected, controlPlaneAway: this.away, ...(exclude ? { exclude } : {}) });
    if (live.length === 0) return undefined;
    const liveVariants = new Set(live.map((r) => r.variant));
    const split = this.assignments.get(pipeline)?.stages.find((s) => s.stage === stage)?.variants ?? [];
    const pick = pickWeighted(split.filter((v) => v.weight > 0 && liveVariants.has(v.variant)).map((v) => ({ key: v.variant, weight: v.weight })), this.wrr.get(k));
    if (pick.key !== undefined) this.wrr.set(k, pick.state);
    const pool = pick.key === undefined ? live : live.filter((r) => r.variant === pick.key);
    const tieKey = `${k}\u0000${pick.key ?? ""}`;
    const tie = this.ties.get(tieKey) ?? 0;
    this.ties.set(tieKey, tie + 1);
    return { replica: leastOutstanding(pool, this.outstanding, tie)!, wantedVariant: pick.key, matched: pick.key !== undefined };
  }
}

const TIMES = [NOW, NOW + 999, NOW + 1000, NOW + 6000];
type Op =
  | { op: "upsert"; instance: string; stage: string; variant: string; state: ReplicaInfo["state"]; heartbeatMs: number }
  | { op: "remove"; instance: string; stage: string }
  | { op: "assign"; s: Array<[string, number]>; t: Array<[string, number]> }
  | { op: "route"; stage: string; nowMs: number; exclude: readonly string[]; hold: boolean }
  | { op: "end"; instance: string }
  | { op: "eject"; instance: string; nowMs: number }
  | { op: "readmit"; instance: string }
  | { op: "away"; away: boolean };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    op: fc.constant("upsert" as const),
    instance: fc.constantFrom(...INSTANCES),
    stage: fc.constantFrom(...STAGES),
    variant: fc.constantFrom(...VARIANTS),
    state: fc.constantFrom("ready" as const, "ready" as const, "draining" as const, "starting" as const),
    heartbeatMs: fc.constantFrom(NOW, NOW, NOW, NOW - 10_000),
  }) },
  fc.record({ op: fc.constant("remove" as const), instance: fc.constantFrom(...INSTANCES), stage: fc.constantFrom(...STAGES) }),
  fc.record({
    op: fc.constant("assign" as const),
    s: fc.array(fc.tuple(fc.constantFrom(...VARIANTS), fc.constantFrom(0, 0.1, 0.25, 0.5, 0.75, 1, 3)), { maxLength: 4 }),
    t: fc.array(fc.tuple(fc.constantFrom(...VARIANTS), fc.constantFrom(0, 0.5, 1)), { maxLength: 2 }),
  }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant("route" as const), stage: fc.constantFrom(...STAGES), nowMs: fc.constantFrom(...TIMES), exclude: fc.subarray(INSTANCES, { maxLength: 2 }), hold: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("route" as const), stage: fc.constant("s"), nowMs: fc.constant(NOW), exclude: fc.constant<string[]>([]), hold: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("end" as const), instance: fc.constantFrom(...INSTANCES) }) },
  fc.record({ op: fc.constant("eject" as const), instance: fc.constantFrom(...INSTANCES), nowMs: fc.constantFrom(...TIMES) }),
  fc.record({ op: fc.constant("readmit" as const), instance: fc.constantFrom(...INSTANCES) }),
  fc.record({ op: fc.constant("away" as const), away: fc.boolean() }),
);

describe("Router's compiled tables", () => {
  it("choose exactly what the plain per-call rule chooses, whatever the sequence of registry, assignment and call events", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 150, size: "max" }), (ops) => {
        const fast = new Router(OPTIONS);
        const plain = new PlainRouter();
        let version = 0;
        for (const o of ops) {
          switch (o.op) {
            case "upsert": {
              const r = replica({ instance: o.instance, stage: o.stage, variant: o.variant, state: o.state, heartbeatMs: o.heartbeatMs });
              fast.upsertReplica("p", r);
              plain.upsertReplica("p", r);
              break;
            }
            case "remove":
              fast.removeReplica("p", o.stage, o.instance);
              plain.removeReplica("p", o.stage, o.instance);
              break;
            case "assign": {
              const a = assignment(++version, o.s, o.t);
              expect(fast.applyAssignment(a)).toBe(plain.applyAssignment(a));
              break;
            }
            case "route": {
              const exclude = o.exclude.length > 0 ? new Set(o.exclude) : undefined;
              const got = fast.route("p", o.stage, o.nowMs, exclude);
              const want = plain.route("p", o.stage, o.nowMs, exclude);
              expect(got === undefined ? undefined : { ...got }).toEqual(want);
              if (got) expect(got.replica).toBe(want!.replica);
              if (got && o.hold) {
                fast.begin(got.replica.instance);
                plain.begin(got.replica.instance);
              }
              break;
            }
            case "end":
              fast.end(o.instance);
              plain.end(o.instance);
              break;
            case "eject":
              fast.eject(o.instance, o.nowMs);
              plain.eject(o.instance, o.nowMs);
              break;
            case "readmit":
              fast.readmit(o.instance);
              plain.readmit(o.instance);
              break;
            case "away":
              fast.setControlPlaneAway(o.away);
              plain.setControlPlaneAway(o.away);
              break;
          }
          for (const i of INSTANCES) expect(fast.outstandingOf(i)).toBe(plain.outstandingOf(i));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("see a replica's new state, a new replica and a removed one at the next call", () => {
    const r = new Router(OPTIONS);
    r.upsertReplica("p", replica({ instance: "x" }));
    expect(r.route("p", "s", NOW)?.replica.instance).toBe("x");
    r.upsertReplica("p", replica({ instance: "x", state: "draining" }));
    expect(r.route("p", "s", NOW)).toBeUndefined();
    r.upsertReplica("p", replica({ instance: "y" }));
    expect(r.route("p", "s", NOW)?.replica.instance).toBe("y");
    r.upsertReplica("p", replica({ instance: "x" }));
    r.removeReplica("p", "s", "y");
    expect(r.route("p", "s", NOW)?.replica.instance).toBe("x");
  });

  it("see a replica that moved to another variant, and return the newest object given for an instance", () => {
    const r = new Router(OPTIONS);
    r.upsertReplica("p", replica({ instance: "x", variant: "a" }));
    r.applyAssignment(assignment(1, [["b", 1]]));
    expect(r.route("p", "s", NOW)).toMatchObject({ matched: false, replica: { variant: "a" } });
    const moved = replica({ instance: "x", variant: "b" });
    r.upsertReplica("p", moved);
    expect(r.route("p", "s", NOW)).toMatchObject({ matched: true, wantedVariant: "b" });
    // A heartbeat refresh (same state and variant) keeps the pools but hands out the new object.
    const refreshed = replica({ instance: "x", variant: "b", address: "127.0.0.1:2", heartbeatMs: NOW + 10_000 });
    r.upsertReplica("p", refreshed);
    expect(r.route("p", "s", NOW + 10_000)?.replica).toBe(refreshed);
    // ... and its heartbeat age is judged on the new object.
    expect(r.route("p", "s", NOW + 16_000)).toBeUndefined();
  });

  it("see new weights at the next call", () => {
    const r = new Router(OPTIONS);
    r.upsertReplica("p", replica({ instance: "a0", variant: "a" }));
    r.upsertReplica("p", replica({ instance: "b0", variant: "b" }));
    r.applyAssignment(assignment(1, [["a", 1], ["b", 0]]));
    expect(Array.from({ length: 3 }, () => r.route("p", "s", NOW)!.replica.variant)).toEqual(["a", "a", "a"]);
    r.applyAssignment(assignment(2, [["a", 0], ["b", 1]]));
    expect(Array.from({ length: 3 }, () => r.route("p", "s", NOW)!.replica.variant)).toEqual(["b", "b", "b"]);
    r.applyAssignment(assignment(3, [["a", 0.5], ["b", 0.5]]));
    expect(Array.from({ length: 4 }, () => r.route("p", "s", NOW)!.replica.variant).sort()).toEqual(["a", "a", "b", "b"]);
  });

  it("follow outstanding counts between calls (least outstanding, then instance order among equals)", () => {
    const r = new Router(OPTIONS);
    for (const i of ["z", "y", "x"]) r.upsertReplica("p", replica({ instance: i }));
    const held = Array.from({ length: 3 }, () => {
      const got = r.route("p", "s", NOW)!.replica.instance;
      r.begin(got);
      return got;
    });
    expect(held.sort()).toEqual(["x", "y", "z"]);
    r.begin("x");
    r.begin("y");
    expect(r.route("p", "s", NOW)!.replica.instance).toBe("z");
    r.end("x");
    r.end("x");
    expect(r.outstandingOf("x")).toBe(0);
    expect(r.route("p", "s", NOW)!.replica.instance).toBe("x");
  });
});
