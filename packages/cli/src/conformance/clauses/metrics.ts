import { oipParam as param } from "@fulcrum/runtime";
import { Checks, fail } from "../checks.js";
import { CONTRACT } from "../contract.js";
import { describeOutcome } from "../oip-probe.js";
import { validRequest } from "../tensors.js";
import type { Clause } from "../types.js";
import { nextId } from "./data-plane.js";

const REQUESTS = 3;

/**
 * StageMetrics arrive every second with contiguous windows and sane values, and count the kit's
 * own requests: after a window boundary the kit sends {@link REQUESTS} valid requests and reads
 * them back as arrivals and completions.
 */
export const metricsCadence: Clause = {
  id: "metrics.cadence",
  title: `StageMetrics every ${CONTRACT.metricsIntervalMs} ms, contiguous windows, sane values, counting requests`,
  needs: ["model"],
  async run(ctx) {
    const tap = ctx.metrics;
    const boundary = await tap.waitFor(() => true, 3 * CONTRACT.metricsIntervalMs, tap.seen.length);
    if (!boundary) return fail(`no StageMetrics within ${3 * CONTRACT.metricsIntervalMs} ms`);
    const c = new Checks();
    for (let i = 0; i < REQUESTS; i++) {
      const id = nextId("metrics");
      const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, id, { slo_ms: param.int(ctx.target.timeoutMs), request_id: param.str(id) }));
      c.expect(r.ok, `request ${i + 1}: ${describeOutcome(r)}`);
    }
    let arrivals = 0;
    let completions = 0;
    const counted = await tap.waitFor(
      (m) => {
        arrivals += m.arrivals;
        completions += m.completions;
        return completions >= REQUESTS;
      },
      3 * CONTRACT.metricsIntervalMs,
      boundary.index + 1,
    );
    c.expect(counted !== undefined && arrivals >= REQUESTS, `windows after the boundary count ${arrivals} arrivals and ${completions} completions for the kit's ${REQUESTS} requests`);
    // At least four windows in a row, to judge the cadence.
    await tap.waitFor(() => true, 5 * CONTRACT.metricsIntervalMs, 3);
    const seen = tap.seen;
    c.expect(seen.length >= 4, `only ${seen.length} StageMetrics since the kit started`);
    const { pipeline, stage, instance } = ctx.target;
    const gaps = seen.slice(1).map((o, i) => o.atMs - seen[i]!.atMs);
    c.expect(gaps.every((g) => g <= 2 * CONTRACT.metricsIntervalMs), `gaps between StageMetrics up to ${Math.round(Math.max(...gaps))} ms, expected ≤ ${2 * CONTRACT.metricsIntervalMs}`);
    const meanGap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);
    c.expect(Math.abs(meanGap - CONTRACT.metricsIntervalMs) <= 250, `mean gap ${Math.round(meanGap)} ms, expected ${CONTRACT.metricsIntervalMs} ± 250`);
    seen.forEach(({ value: m }, i) => {
      const at = `window ${i}`;
      c.expect(m.pipeline === pipeline && m.stage === stage && m.instance === instance, `${at} names ${m.pipeline}.${m.stage}.${m.instance}`);
      // The first window of a process starts with it and may cover its start-up.
      const first = m.windowStartUnixMs <= ctx.entry!.startedUnixMs + CONTRACT.metricsIntervalMs;
      c.expect(m.windowMs >= CONTRACT.metricsIntervalMs / 2 && (first || m.windowMs <= 2 * CONTRACT.metricsIntervalMs), `${at}: window_ms ${m.windowMs}`);
      const prev = seen[i - 1]?.value;
      if (prev) c.expect(Math.abs(m.windowStartUnixMs - (prev.windowStartUnixMs + prev.windowMs)) <= 50, `${at} starts at ${m.windowStartUnixMs}, the previous one ended at ${prev.windowStartUnixMs + prev.windowMs} (windows must be contiguous)`);
      const q = [m.latencyP50Ms, m.latencyP95Ms, m.latencyP99Ms];
      c.expect(q.every((x) => Number.isFinite(x) && x >= 0) && q[0]! <= q[1]! && q[1]! <= q[2]!, `${at}: latency quantiles ${q.join(" / ")} must be finite, ≥ 0 and ordered`);
      c.expect(m.violations >= m.earlyDrops, `${at}: violations ${m.violations} < early_drops ${m.earlyDrops} (early drops are violations)`);
      c.expect(m.meanBatch === 0 || m.meanBatch >= 1, `${at}: mean_batch ${m.meanBatch} (0 without batches, else ≥ 1)`);
      c.expect(ctx.entry!.variants.includes(m.variant) && m.cores >= 1 && m.batchSize >= 1, `${at}: variant "${m.variant}", cores ${m.cores}, batch_size ${m.batchSize}`);
      c.expect(Number.isFinite(m.cpuSeconds) && m.cpuSeconds >= 0, `${at}: cpu_seconds ${m.cpuSeconds}`);
    });
    return c.verdict(`${seen.length} windows, mean gap ${Math.round(meanGap)} ms; the kit's ${REQUESTS} requests counted (${arrivals} arrivals, ${completions} completions)`);
  },
};
