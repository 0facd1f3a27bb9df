import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { desiredSlots, planReconcile, recordStartFailure, recordStartSuccess } from "./plan.js";
import { DEFAULT_RECONCILE_CONFIG, INITIAL_RECONCILE_STATE, type ObservedReplica, type ReconcileAction, type ReconcileConfig, type SlotTarget } from "./types.js";

const t = (variant: string, cores = 1, batchSize = 1): SlotTarget => ({ variant, cores, batchSize });
const r = (instance: string, target: SlotTarget, phase: ObservedReplica["phase"] = "ready", stage = "s"): ObservedReplica => ({ instance, stage, phase, target });
const plan = (desired: Record<string, SlotTarget[]>, observed: ObservedReplica[], coreBudget = 8, config: Partial<ReconcileConfig> = {}) =>
  planReconcile({ desired, observed, coreBudget }, INITIAL_RECONCILE_STATE, { ...DEFAULT_RECONCILE_CONFIG, ...config }, 0).plan;
const kinds = (as: readonly ReconcileAction[]) => as.map((a) => `${a.kind}:${a.instance}`);

describe("desiredSlots", () => {
  it("expands each variant with traffic into its replicas", () => {
    const slots = desiredSlots([
      { stage: "s", variants: [{ variant: "a", weight: 0.7, batch: 4, coresPerReplica: 2, replicas: 2 }, { variant: "b", weight: 0.3, batch: 1, coresPerReplica: 1, replicas: 1 }, { variant: "c", weight: 0, batch: 1, coresPerReplica: 1, replicas: 3 }] },
    ]);
    expect(slots).toEqual({ s: [t("a", 2, 4), t("a", 2, 4), t("b")] });
  });
});

describe("planReconcile", () => {
  it("does nothing when observed equals desired", () => {
    const p = plan({ s: [t("a"), t("b")] }, [r("x", t("b")), r("y", t("a"))]);
    expect(p).toEqual({ actions: [], deferred: [], converged: true });
  });

  it("prefers an in-place retarget over a start, and a start over nothing", () => {
    const p = plan({ s: [t("a", 2, 8), t("b")] }, [r("x", t("a", 1, 1))]);
    expect(p.actions).toMatchObject([
      { kind: "retarget", instance: "x", to: t("a", 2, 8) },
      { kind: "start", instance: "s-0", target: t("b") },
    ]);
  });

  it("switches a replica's variant in place, or starts and drains where that is not allowed", () => {
    expect(kinds(plan({ s: [t("b")] }, [r("x", t("a"))]).actions)).toEqual(["retarget:x"]);
    // Make before break: x keeps serving a while b's replica starts, and drains once it is ready.
    const p = plan({ s: [t("b")] }, [r("x", t("a"))], 8, { inPlaceVariantChange: false });
    expect(kinds(p.actions)).toEqual(["start:s-0"]);
    expect(p.deferred.join()).toMatch(/x: surplus, keeps serving until the new replicas of stage s are ready/);
    expect(plan({ s: [t("b")] }, [r("x", t("a")), r("s-0", t("b"), "starting")], 8, { inPlaceVariantChange: false }).actions).toEqual([]);
    expect(kinds(plan({ s: [t("b")] }, [r("x", t("a")), r("s-0", t("b"))], 8, { inPlaceVariantChange: false }).actions)).toEqual(["drain:x"]);
  });

  it("keeps a stage's surplus replicas while its new ones start, but drains them when a start needs their cores", () => {
    // Two 1-core replicas of a become one 4-core replica of b (a scale-up onto a new size): both a's
    // keep serving while b starts.
    const roomy = plan({ s: [t("b", 4)] }, [r("x", t("a", 1)), r("y", t("a", 1))], 8, { inPlaceVariantChange: false });
    expect(kinds(roomy.actions)).toEqual(["start:s-0"]);
    // With 5 cores the 4-core start does not fit beside them: the drains go first, as before.
    const tight = plan({ s: [t("b", 4)] }, [r("x", t("a", 1)), r("y", t("a", 1))], 5, { inPlaceVariantChange: false });
    expect(kinds(tight.actions)).toEqual(["drain:x", "drain:y"]);
    // Nor does a replica give up cores while new replicas of its stage start: x keeps 4 cores until
    // the two new 1-core replicas are ready, then shrinks.
    const grow = plan({ s: [t("a", 1), t("a", 1), t("a", 1)] }, [r("x", t("a", 4))]);
    expect(kinds(grow.actions)).toEqual(["start:s-0", "start:s-1"]);
    expect(grow.deferred.join()).toMatch(/x: keeps its cores until the new replicas of stage s are ready/);
    expect(kinds(plan({ s: [t("a", 1), t("a", 1), t("a", 1)] }, [r("x", t("a", 4)), r("y", t("a", 1)), r("z", t("a", 1))]).actions)).toEqual(["retarget:x"]);
    // A stage without starts drains its surplus at once (a plain scale-down).
    expect(kinds(plan({ s: [t("a", 1)] }, [r("x", t("a", 1)), r("y", t("a", 1))]).actions)).toEqual(["drain:y"]);
  });

  it("never drains the last ready replica of a variant with traffic before its replacement is ready", () => {
    const p = plan({ s: [t("a", 2)] }, [r("x", t("a", 1)), r("y", t("a", 2), "starting")]);
    expect(p.actions).toEqual([]);
    expect(p.deferred[0]).toMatch(/x: last ready replica of a/);
    expect(kinds(plan({ s: [t("a", 2)] }, [r("x", t("a", 1)), r("y", t("a", 2))]).actions)).toEqual(["drain:x"]);
  });

  it("defers a start that does not fit the core budget until a drain completes", () => {
    const p = plan({ s: [t("b", 2)] }, [r("x", t("a", 2))], 2, { inPlaceVariantChange: false });
    expect(kinds(p.actions)).toEqual(["drain:x"]);
    expect(p.deferred.join()).toMatch(/waits for the core budget \(2\/2 held\)/);
    const after = plan({ s: [t("b", 2)] }, [r("x", t("a", 2), "draining")], 2, { inPlaceVariantChange: false });
    expect(after.actions).toEqual([]);
  });

  it("forgets dead replicas and restarts their slots; respects backoff, concurrency and rate limits", () => {
    const p = plan({ s: [t("a"), t("a"), t("a")] }, [r("x", t("a"), "dead")], 8, { maxConcurrentStarts: 2 });
    expect(kinds(p.actions)).toEqual(["forget:x", "start:s-0", "start:s-1"]);
    expect(p.deferred).toEqual(["s/a: 2 replica(s) already starting (max 2)"]);
    let state = recordStartFailure(INITIAL_RECONCILE_STATE, "s", "a", DEFAULT_RECONCILE_CONFIG, 1000);
    state = recordStartFailure(state, "s", "a", DEFAULT_RECONCILE_CONFIG, 1000);
    expect(state.backoff["s/a"]).toEqual({ failures: 2, untilMs: 3000 });
    const held = planReconcile({ desired: { s: [t("a")] }, observed: [], coreBudget: 4 }, state, DEFAULT_RECONCILE_CONFIG, 2999).plan;
    expect(held.actions).toEqual([]);
    expect(planReconcile({ desired: { s: [t("a")] }, observed: [], coreBudget: 4 }, state, DEFAULT_RECONCILE_CONFIG, 3000).plan.actions).toHaveLength(1);
    expect(recordStartSuccess(state, "s", "a").backoff).toEqual({});
    expect(plan({ s: Array.from({ length: 5 }, () => t("a")) }, [], 8, { maxActionsPerPass: 3, maxConcurrentStarts: 5 }).actions).toHaveLength(3);
  });
});

// ---- Property tests: a toy world that executes a plan the way an actuator would. ----

interface World {
  replicas: ObservedReplica[];
}

/** Applies a pass's actions, then lets one step of time pass (starts become ready, drains exit, changes land). */
function step(world: World, actions: readonly ReconcileAction[]): World {
  let replicas = world.replicas.map((x) => ({ ...x }));
  for (const a of actions) {
    if (a.kind === "forget") replicas = replicas.filter((x) => x.instance !== a.instance);
    else if (a.kind === "drain") replicas = replicas.map((x) => (x.instance === a.instance ? { ...x, phase: "draining" as const } : x));
    else if (a.kind === "start") replicas.push({ instance: a.instance, stage: a.stage, phase: "starting", target: a.target });
    else replicas = replicas.map((x) => (x.instance === a.instance ? { ...x, target: a.to, coresHeld: Math.max(x.coresHeld ?? x.target.cores, x.target.cores, a.to.cores) } : x));
  }
  return { replicas };
}
function settle(world: World): World {
  return {
    replicas: world.replicas
      .filter((x) => x.phase !== "draining")
      .map((x): ObservedReplica => ({ instance: x.instance, stage: x.stage, phase: x.phase === "starting" ? "ready" : x.phase, target: x.target })),
  };
}
const heldCores = (w: World) => w.replicas.filter((x) => x.phase !== "dead").reduce((s, x) => s + Math.max(x.coresHeld ?? x.target.cores, x.target.cores), 0);
const key = (x: SlotTarget) => `${x.variant}/${x.cores}/${x.batchSize}`;
const multiset = (xs: readonly SlotTarget[]) => xs.map(key).sort();

// A small domain, so that collisions (same variant, other cores; replacement still starting) are common.
const targetArb = fc.record({ variant: fc.constantFrom("a", "b", "c"), cores: fc.integer({ min: 1, max: 2 }), batchSize: fc.constantFrom(1, 4) });
const scenarioArb = fc
  .record({
    desired: fc.dictionary(fc.constantFrom("s1", "s2"), fc.array(targetArb, { minLength: 0, maxLength: 4 }), { minKeys: 1 }),
    observed: fc.array(fc.record({ stage: fc.constantFrom("s1", "s2"), phase: fc.constantFrom("starting", "ready", "draining", "dead"), target: targetArb }), { maxLength: 6 }),
    slack: fc.integer({ min: 0, max: 3 }),
    inPlaceVariantChange: fc.boolean(),
  })
  .map((s) => ({ ...s, observed: s.observed.map((o, i): ObservedReplica => ({ ...o, instance: `o${i}` })) }));

describe("planReconcile properties", () => {
  it("converges from any observed state, never exceeds the core budget, never drains the last ready replica of a wanted variant, makes before it breaks", () => {
    fc.assert(
      fc.property(scenarioArb, ({ desired, observed, slack, inPlaceVariantChange }) => {
        const need = Object.values(desired).flat().reduce((s, x) => s + x.cores, 0);
        let world: World = { replicas: observed };
        // A budget at least what the desired state needs, and what is held at the start.
        const coreBudget = Math.max(need, heldCores(world)) + slack;
        const config = { ...DEFAULT_RECONCILE_CONFIG, inPlaceVariantChange };
        let state = INITIAL_RECONCILE_STATE;
        for (let pass = 0; pass < 40; pass++) {
          const out = planReconcile({ desired, observed: world.replicas, coreBudget }, state, config, pass);
          state = out.state;
          if (out.plan.converged && world.replicas.every((x) => x.phase === "ready")) break;
          // Make before break: no drain or shrink in a stage that starts a replica in the same pass,
          // unless something waits for the core budget.
          const starting = new Set(out.plan.actions.filter((a) => a.kind === "start").map((a) => a.stage));
          if (!out.plan.deferred.some((d) => d.includes("waits for the core budget"))) {
            for (const a of out.plan.actions) {
              const breaks = a.kind === "drain" || (a.kind === "retarget" && a.to.cores < a.from.cores);
              expect(breaks && starting.has(a.stage)).toBe(false);
            }
          }
          const readyBefore = new Set(world.replicas.filter((x) => x.phase === "ready").map((x) => `${x.stage}/${x.target.variant}`));
          world = step(world, out.plan.actions);
          expect(heldCores(world)).toBeLessThanOrEqual(coreBudget);
          // A wanted variant that had a ready replica still has one serving it.
          for (const k of readyBefore) {
            const [stage, variant] = k.split("/") as [string, string];
            if (!(desired[stage] ?? []).some((d) => d.variant === variant)) continue;
            expect(world.replicas.some((x) => x.stage === stage && x.phase === "ready" && (x.target.variant === variant || out.plan.actions.some((a) => a.kind === "retarget" && a.instance === x.instance && a.from.variant === variant)))).toBe(true);
          }
          world = settle(world);
        }
        const final = planReconcile({ desired, observed: world.replicas, coreBudget }, state, config, 1000);
        expect(final.plan.converged).toBe(true);
        for (const stage of new Set([...Object.keys(desired), ...world.replicas.map((x) => x.stage)])) {
          expect(world.replicas.every((x) => x.phase === "ready")).toBe(true);
          expect(multiset(world.replicas.filter((x) => x.stage === stage).map((x) => x.target))).toEqual(multiset(desired[stage] ?? []));
        }
      }),
      { numRuns: 1000, seed: 20261130 },
    );
  });
});
