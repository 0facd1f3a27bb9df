import { status } from "@grpc/grpc-js";
import { control, subjects } from "@fulcrum/proto";
import { oipParam as param } from "@fulcrum/runtime";
import { Checks, fail } from "../checks.js";
import { describeOutcome, type CallOutcome } from "../oip-probe.js";
import { validRequest } from "../tensors.js";
import type { Clause } from "../types.js";
import { nextId } from "./data-plane.js";

/** Calls sent just before the drain request. */
const BURST = 32;

/**
 * Graceful drain, last because it stops the stage. The kit sends a burst of calls on one
 * connection and, as soon as the first is answered (so the stage is working through the burst),
 * a DrainRequest. The reply must accept; the entry must turn `draining` and then disappear; every
 * call must succeed, except that calls the stage had not yet received when it began draining may be
 * refused UNAVAILABLE: since one connection delivers calls in order, those form a suffix of the
 * burst (a success after a refusal fails the clause); a call after the entry is gone is refused.
 */
export const drainClause: Clause = {
  id: "drain",
  title: "drain: entry turns draining then disappears; calls sent just before succeed",
  needs: ["model"],
  optIn: { enabled: (t) => t.drain, skipReason: "opt-in with --drain (it stops the stage)" },
  async run(ctx) {
    const { pipeline, stage, instance, timeoutMs } = ctx.target;
    const tap = ctx.registry!;
    const from = tap.seen.length;
    const sent = ctx.now();
    let firstAnswer!: () => void;
    const answered = new Promise<void>((r) => (firstAnswer = r));
    const calls: Array<Promise<CallOutcome<unknown> & { doneMs: number }>> = [];
    for (let i = 0; i < BURST; i++) {
      const id = nextId("drain");
      const call = ctx.oip!.infer(validRequest(ctx.model!, 1, id, { slo_ms: param.int(timeoutMs), request_id: param.str(id) }));
      calls.push(call.then((r) => (firstAnswer(), { ...r, doneMs: ctx.now() })));
    }
    await answered;
    const c = new Checks();
    let reply: control.DrainReply | undefined;
    try {
      reply = await ctx.bus.request(subjects.drain(pipeline, stage, instance), control.DrainRequest, { reason: "conformance", graceMs: 0 }, control.DrainReply, { timeoutMs });
    } catch (err) {
      return fail(`drain request on ${subjects.drain(pipeline, stage, instance)}: ${(err as Error).message}`);
    }
    const replied = ctx.now();
    c.expect(reply.accepted, `drain refused: ${reply.error || "(no error given)"}`);
    const results = await Promise.all(calls);
    const refused = (r: CallOutcome<unknown>): boolean => !r.ok && r.code === status.UNAVAILABLE;
    const bad = results.filter((r) => !r.ok && !refused(r));
    c.expect(bad.length === 0, `${bad.length} of ${BURST} calls failed otherwise than UNAVAILABLE: ${bad.slice(0, 2).map(describeOutcome).join(" | ")}`);
    const firstRefused = results.findIndex(refused);
    const okAfter = firstRefused < 0 ? -1 : results.findIndex((r, i) => i > firstRefused && r.ok);
    c.expect(okAfter < 0, `call ${firstRefused + 1} of the burst was refused UNAVAILABLE but the later call ${okAfter + 1} succeeded: the stage refused a call it had received before draining`);
    const ok = results.filter((r) => r.ok).length;
    const inFlight = results.filter((r) => r.ok && r.doneMs >= replied).length;
    const draining = await tap.waitFor((v) => v?.state === "draining", timeoutMs, from);
    c.expect(draining !== undefined, `no registry put with state "draining" within ${timeoutMs} ms of the drain request`);
    const gone = await tap.waitFor((v) => v === undefined, timeoutMs, draining ? draining.index + 1 : from);
    c.expect(gone !== undefined, `the registry entry was not deleted within ${timeoutMs} ms after turning draining`);
    const after = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("after-drain"), {}));
    c.expect(!after.ok && after.code === status.UNAVAILABLE, `a call after the entry was deleted: ${describeOutcome(after)}, expected UNAVAILABLE`);
    const ms = (o: { atMs: number } | undefined): string => (o ? `${Math.round(o.atMs - sent)} ms` : "never");
    return c.verdict(
      `accepted; of ${BURST} calls ${ok} succeeded (${inFlight} finished after the drain reply), ${BURST - ok} arrived after the drain began and were refused; draining after ${ms(draining)}, deleted after ${ms(gone)}`,
    );
  },
};
