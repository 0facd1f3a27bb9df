import { control, kvKeys, subjects } from "@fulcrum/proto";
import { oipParam as param, oipParamValue } from "@fulcrum/runtime";
import { Checks, fail } from "../checks.js";
import { CONTRACT } from "../contract.js";
import { describeOutcome } from "../oip-probe.js";
import { validRequest } from "../tensors.js";
import type { Clause, ClauseVerdict, KitContext } from "../types.js";
import { nextId } from "./data-plane.js";

/**
 * What the assignment clauses found before changing anything, so the last one can put it back.
 * Kept per context (a WeakMap, not module state) so two runs never share it.
 */
interface Plan {
  /** The Assignment stored in KV `fulcrum_assignments` when the kit started, if any. */
  readonly stored: control.Assignment | undefined;
  /** Highest version in force (KV or the instance's entry). */
  readonly baseVersion: number;
  /** What the instance served. */
  readonly original: { readonly variant: string; readonly cores: number; readonly batch: number };
  /** Replicas the stage's allocation had (1 when it had none). */
  readonly replicas: number;
  /** The variant the test version named, and whether the instance applied it. */
  test?: { readonly variant: string; readonly applied: boolean };
}
const plans = new WeakMap<KitContext, Plan>();

async function planOf(ctx: KitContext): Promise<Plan> {
  let plan = plans.get(ctx);
  if (!plan) {
    const e = ctx.entry!;
    const stored = await ctx.assignmentsKv.get(kvKeys.assignment(ctx.target.pipeline), control.Assignment);
    const mine = stored?.stages.find((s) => s.stage === ctx.target.stage);
    const replicas = mine ? mine.variants.reduce((n, v) => n + (v.weight > 0 ? v.replicas : 0), 0) : 0;
    plan = {
      stored,
      baseVersion: Math.max(stored?.version ?? 0, e.assignmentVersion),
      original: { variant: e.variant, cores: e.cores, batch: e.batch },
      replicas: Math.max(1, replicas),
    };
    plans.set(ctx, plan);
  }
  return plan;
}

/** An Assignment at `version` whose allocation for the target stage is one variant; the rest of the stored one is kept. */
function assignmentWith(ctx: KitContext, plan: Plan, version: number, alloc: { variant: string; cores: number; batch: number }, reason: string): control.Assignment {
  const stage: control.StageAssignment = {
    stage: ctx.target.stage,
    variants: [{ variant: alloc.variant, weight: 1, batch: alloc.batch, coresPerReplica: alloc.cores, replicas: plan.replicas }],
  };
  const others = plan.stored?.stages.filter((s) => s.stage !== ctx.target.stage) ?? [];
  return { pipeline: ctx.target.pipeline, version, policy: "conformance", createdUnixMs: Math.round(ctx.now()), stages: [...others, stage], reason };
}

/** Publishes `a` and waits for the instance's ack of its version. */
async function publishAndAwaitAck(ctx: KitContext, a: control.Assignment): Promise<control.AssignmentAck | undefined> {
  const from = ctx.acks.seen.length;
  ctx.bus.publish(subjects.assignment(ctx.target.pipeline), control.Assignment, a);
  return (await ctx.acks.waitFor((k) => k.version === a.version, ctx.target.timeoutMs, from))?.value;
}

/** Checks an ack's identity and its applied/refused semantics. */
function checkAck(c: Checks, ctx: KitContext, k: control.AssignmentAck): void {
  const { pipeline, stage, instance } = ctx.target;
  c.expect(k.pipeline === pipeline && k.stage === stage && k.instance === instance, `ack names ${k.pipeline}.${k.stage}.${k.instance}`);
  if (k.applied) {
    c.expect(Number.isFinite(k.applyMs) && k.applyMs >= 0, `applied, but apply_ms is ${k.applyMs}`);
    c.expect(k.appliedUnixMs > 0, "applied, but applied_unix_ms is not set");
  } else {
    c.expect(k.error.trim() !== "", "refused without an error saying why");
  }
}

/** A newer Assignment naming a variant the instance lists is acked (applied, or refused with a reason) within the bound. */
export const assignmentAck: Clause = {
  id: "assignment.ack",
  title: "a newer Assignment (a listed variant) is acked within the bound",
  needs: ["entry"],
  async run(ctx) {
    const plan = await planOf(ctx);
    const e = ctx.entry!;
    // Another listed variant exercises a real switch; a one-variant stage gets its own.
    const variant = e.variants.find((v) => v !== e.variant) ?? e.variant;
    const a = assignmentWith(ctx, plan, plan.baseVersion + 1, { variant, cores: e.cores, batch: e.batch }, "conformance:test");
    const ack = await publishAndAwaitAck(ctx, a);
    if (!ack) return fail(`no ack of v${a.version} on ${subjects.ack(ctx.target.pipeline, ctx.target.stage, ctx.target.instance)} within ${ctx.target.timeoutMs} ms`);
    plan.test = { variant, applied: ack.applied };
    const c = new Checks();
    checkAck(c, ctx, ack);
    return c.verdict(ack.applied ? `v${a.version} (variant ${variant}) applied in ${ack.applyMs.toFixed(1)} ms` : `v${a.version} (variant ${variant}) refused: ${ack.error}`);
  },
};

/** After applying a version, the instance reports it (and its variant) in its registry entry, StageMetrics and responses. */
export const assignmentReported: Clause = {
  id: "assignment.reported",
  title: "the applied version and variant show in the registry, StageMetrics and responses",
  needs: ["model"],
  async run(ctx): Promise<ClauseVerdict> {
    const plan = await planOf(ctx);
    if (!plan.test) return fail("no test version was acked (see assignment.ack)");
    const version = plan.baseVersion + 1;
    const c = new Checks();
    if (!plan.test.applied) {
      // A refused version is not run: the instance keeps reporting what it served.
      const id = nextId("reported");
      const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, id, { slo_ms: param.int(ctx.target.timeoutMs) }));
      c.expect(r.ok && oipParamValue(r.response.parameters.variant) === plan.original.variant, `after a refused version: ${r.ok ? `variant ${String(oipParamValue(r.response.parameters.variant))}` : describeOutcome(r)}, expected the unchanged ${plan.original.variant}`);
      return c.verdict(`refused v${version}: still serving ${plan.original.variant}`);
    }
    const want = plan.test.variant;
    const reg = await ctx.registry!.waitFor((v) => v !== undefined && v.assignmentVersion >= version && v.variant === want, CONTRACT.deadAfterMs, 0);
    c.expect(reg !== undefined, `no registry heartbeat with assignment_version ≥ ${version} and variant ${want} within ${CONTRACT.deadAfterMs} ms`);
    const met = await ctx.metrics.waitFor((m) => m.assignmentVersion >= version && m.variant === want, 3 * CONTRACT.metricsIntervalMs, 0);
    c.expect(met !== undefined, `no StageMetrics with assignment_version ≥ ${version} and variant ${want} within ${3 * CONTRACT.metricsIntervalMs} ms`);
    const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("reported"), { slo_ms: param.int(ctx.target.timeoutMs) }));
    c.expect(r.ok && oipParamValue(r.response.parameters.variant) === want, `a request after the switch: ${r.ok ? `variant ${String(oipParamValue(r.response.parameters.variant))}` : describeOutcome(r)}, expected ${want}`);
    return c.verdict(`v${version} and variant ${want} in the registry, StageMetrics and responses`);
  },
};

/** A newer Assignment naming a variant the instance does not list is refused with a reason, and serving goes on. */
export const assignmentRefusal: Clause = {
  id: "assignment.refusal",
  title: "a newer Assignment naming an unknown variant is refused with a reason",
  needs: ["model"],
  async run(ctx) {
    const plan = await planOf(ctx);
    const e = ctx.entry!;
    const variant = `conformance-no-such-variant-${Math.round(ctx.now()) % 100000}`;
    const a = assignmentWith(ctx, plan, plan.baseVersion + 2, { variant, cores: e.cores, batch: e.batch }, "conformance:refusal");
    const ack = await publishAndAwaitAck(ctx, a);
    if (!ack) return fail(`no ack of v${a.version} within ${ctx.target.timeoutMs} ms`);
    const c = new Checks();
    checkAck(c, ctx, ack);
    c.expect(!ack.applied, `v${a.version} naming unknown variant "${variant}" was acked as applied`);
    const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("refusal"), { slo_ms: param.int(ctx.target.timeoutMs) }));
    c.expect(r.ok, `serving after the refusal: ${describeOutcome(r)}`);
    return c.verdict(`v${a.version} refused: ${ack.error}`);
  },
};

/**
 * Puts back what the kit found: a newer version copying the stored Assignment when it names the
 * stage, else the stored one (if any) with the instance's original variant, cores and batch for
 * the stage. When an Assignment was stored, the new version replaces it in KV, so a restarted
 * optimizer continues above the kit's versions; when none was, KV stays empty.
 */
export const assignmentRestore: Clause = {
  id: "assignment.restore",
  title: "a newer Assignment restoring the original configuration is applied",
  needs: ["entry"],
  async run(ctx) {
    const plan = await planOf(ctx);
    const version = plan.baseVersion + 3;
    const stored = plan.stored?.stages.some((s) => s.stage === ctx.target.stage) ? plan.stored : undefined;
    const a = stored
      ? { ...stored, version, createdUnixMs: Math.round(ctx.now()), reason: `conformance:restore of v${stored.version}` }
      : assignmentWith(ctx, plan, version, plan.original, "conformance:restore");
    const ack = await publishAndAwaitAck(ctx, a);
    if (plan.stored) await ctx.assignmentsKv.put(kvKeys.assignment(ctx.target.pipeline), control.Assignment, a);
    if (!ack) return fail(`no ack of v${version} within ${ctx.target.timeoutMs} ms`);
    const c = new Checks();
    checkAck(c, ctx, ack);
    c.expect(ack.applied, `restoring v${version} refused: ${ack.error}`);
    const reg = await ctx.registry!.waitFor((v) => v !== undefined && v.assignmentVersion >= version, CONTRACT.deadAfterMs, 0);
    const now = reg?.value;
    c.expect(now !== undefined && now.variant === plan.original.variant, `registry after restoring: ${now ? `variant ${now.variant}` : "no heartbeat with the restored version"}, expected ${plan.original.variant}`);
    return c.verdict(`v${version} applied: serving ${plan.original.variant} again${plan.stored ? `; KV holds v${version}, a copy of v${plan.stored.version}` : ""}`);
  },
};
