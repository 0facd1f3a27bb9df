import { status } from "@grpc/grpc-js";
import { control, subjects } from "@fulcrum/proto";
import { oipParam as param } from "@fulcrum/runtime";
import { Checks, fail } from "../checks.js";
import { describeOutcome, type CallOutcome } from "../oip-probe.js";
import { validRequest } from "../tensors.js";
import type { Clause } from "../types.js";
import { nextId } from "./data-plane.js";

/** Calls sent just before the drain request. */
const BURST = 16;
/** Time the burst gets to reach the stage before the drain request is sent, ms. */
const MIN_SETTLE_MS = 20;

/**
 * Graceful drain, last because it stops the stage: a burst of calls, then a DrainRequest; the
 * reply accepts, the entry turns `draining` and then disappears, every call of the burst succeeds,
 * and a call after the entry is gone is refused UNAVAILABLE.
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
    const calls: Array<Promise<CallOutcome<unknown> & { doneMs: number }>> = [];
    for (let i = 0; i < BURST; i++) {
      const id = nextId("drain");
      calls.push(ctx.oip!.infer(validRequest(ctx.model!, 1, id, { slo_ms: param.int(timeoutMs), request_id: param.str(id) })).then((r) => ({ ...r, doneMs: ctx.now() })));
    }
    // On loopback a call reaches the stage well within this; over a network, a few round trips.
    await new Promise((r) => setTimeout(r, MIN_SETTLE_MS));
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
    const failed = results.filter((r) => !r.ok);
    c.expect(failed.length === 0, `${failed.length} of ${BURST} calls sent ${MIN_SETTLE_MS} ms before the drain failed: ${failed.slice(0, 2).map(describeOutcome).join(" | ")}`);
    const inFlight = results.filter((r) => r.doneMs >= replied).length;
    const draining = await tap.waitFor((v) => v?.state === "draining", timeoutMs, from);
    c.expect(draining !== undefined, `no registry put with state "draining" within ${timeoutMs} ms of the drain request`);
    const gone = await tap.waitFor((v) => v === undefined, timeoutMs, draining ? draining.index + 1 : from);
    c.expect(gone !== undefined, `the registry entry was not deleted within ${timeoutMs} ms after turning draining`);
    const after = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("after-drain"), {}));
    c.expect(!after.ok && after.code === status.UNAVAILABLE, `a call after the entry was deleted: ${describeOutcome(after)}, expected UNAVAILABLE`);
    const ms = (o: { atMs: number } | undefined): string => (o ? `${Math.round(o.atMs - sent)} ms` : "never");
    return c.verdict(`accepted; ${BURST} calls succeeded (${inFlight} still in flight at the reply); draining after ${ms(draining)}, deleted after ${ms(gone)}`);
  },
};
