import { kvKeys } from "@fulcrum/proto";
import { Checks, fail } from "../checks.js";
import { CONTRACT } from "../contract.js";
import { OipProbe } from "../oip-probe.js";
import type { Clause } from "../types.js";

const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** The instance's entry is in KV `fulcrum_registry`, well formed, `ready`, with a fresh heartbeat. */
export const registryEntry: Clause = {
  id: "registry.entry",
  title: "registry entry present, well formed and ready",
  needs: [],
  async run(ctx) {
    const { pipeline, stage, instance } = ctx.target;
    const key = kvKeys.registry(pipeline, stage, instance);
    if (!ctx.registry) return fail("KV bucket fulcrum_registry does not exist: nothing is registered");
    const got = await ctx.registry.waitFor(() => true, Math.min(ctx.target.timeoutMs, CONTRACT.deadAfterMs));
    const e = ctx.registry.seen.at(-1)?.value;
    if (!got || !e) return fail(`no entry under key "${key}" within ${Math.min(ctx.target.timeoutMs, CONTRACT.deadAfterMs)} ms`);
    const c = new Checks();
    c.expect(e.pipeline === pipeline && e.stage === stage && e.instance === instance, `entry names ${e.pipeline}.${e.stage}.${e.instance}, its key is ${key}`);
    const addr = ADDRESS.exec(e.address);
    c.expect(addr !== null && Number(addr[2]) >= 1 && Number(addr[2]) <= 65535, `address "${e.address}" is not host:port`);
    c.expect(e.state === "ready", `state is "${e.state}", expected "ready" (an entry is put only once the model is loaded, warmed and probed)`);
    c.expect(e.variants.length > 0, "variants is empty");
    c.expect(e.variants.includes(e.variant), `variant "${e.variant}" is not among variants [${e.variants.join(", ")}]`);
    c.expect(e.cores >= 1 && e.batch >= 1, `cores ${e.cores} and batch ${e.batch} must be ≥ 1`);
    c.expect(e.startedUnixMs > 0 && e.startedUnixMs <= e.heartbeatUnixMs, `started_unix_ms ${e.startedUnixMs} must be > 0 and ≤ heartbeat_unix_ms ${e.heartbeatUnixMs}`);
    c.expect(e.readyUnixMs === 0 || (e.readyUnixMs >= e.startedUnixMs && e.readyUnixMs <= e.heartbeatUnixMs), `ready_unix_ms ${e.readyUnixMs} must be 0 (not reported) or between started_unix_ms ${e.startedUnixMs} and heartbeat_unix_ms ${e.heartbeatUnixMs}`);
    const age = ctx.now() - e.heartbeatUnixMs;
    c.expect(Math.abs(age) < CONTRACT.deadAfterMs, `heartbeat is ${Math.round(age)} ms old by the kit's clock (dead after ${CONTRACT.deadAfterMs} ms; clocks must agree)`);
    if (addr) {
      ctx.entry = e;
      ctx.oip = new OipProbe(e.address, ctx.target.timeoutMs);
    }
    return c.verdict(`${e.address}, variant ${e.variant} of [${e.variants.join(", ")}], cores ${e.cores}, batch ${e.batch}, assignment v${e.assignmentVersion}, heartbeat ${Math.round(age)} ms old`);
  },
};

/** The entry is re-put with an advancing heartbeat well before consumers would call it dead. */
export const registryHeartbeat: Clause = {
  id: "registry.heartbeat",
  title: `heartbeat advances (a consumer calls an entry dead after ${CONTRACT.deadAfterMs} ms)`,
  needs: ["entry"],
  async run(ctx) {
    const tap = ctx.registry!;
    const first = tap.seen.findIndex((o) => o.value !== undefined);
    const base = tap.seen[first]!;
    const next = await tap.waitFor((v) => v !== undefined && v.heartbeatUnixMs > base.value!.heartbeatUnixMs, base.atMs + CONTRACT.deadAfterMs - ctx.now(), first + 1);
    if (!next) return fail(`no newer heartbeat within ${CONTRACT.deadAfterMs} ms of the entry seen at start (heartbeat_unix_ms stays ${base.value!.heartbeatUnixMs})`);
    const puts = tap.seen.slice(first).filter((o) => o.value !== undefined);
    const gaps = puts.slice(1).map((o, i) => o.atMs - puts[i]!.atMs);
    const c = new Checks();
    for (const o of puts) {
      const v = o.value!;
      c.expect(v.address === base.value!.address && v.startedUnixMs === base.value!.startedUnixMs, `a heartbeat changed address or started_unix_ms (${v.address}, ${v.startedUnixMs})`);
    }
    return c.verdict(`${puts.length} puts seen, gaps ${gaps.map((g) => Math.round(g)).join(", ")} ms`);
  },
};

/** The registry bucket expires entries that stop heartbeating, and not live ones. */
export const registryExpiry: Clause = {
  id: "registry.expiry",
  title: "registry bucket expires dead entries (KV max-age set, longer than the heartbeat)",
  needs: ["entry"],
  async run(ctx) {
    const ttl = ctx.registryTtlMs ?? 0;
    if (ttl <= 0) return fail("bucket fulcrum_registry has no max-age: the entry of a replica that dies without deregistering never expires");
    const puts = ctx.registry!.seen.filter((o) => o.value !== undefined);
    const maxGap = Math.max(0, ...puts.slice(1).map((o, i) => o.atMs - puts[i]!.atMs));
    const c = new Checks();
    c.expect(ttl > maxGap && ttl > CONTRACT.heartbeatMs, `max-age ${ttl} ms is not longer than the heartbeat period (${Math.round(Math.max(maxGap, CONTRACT.heartbeatMs))} ms): live entries would expire`);
    return c.verdict(`max-age ${ttl} ms: an entry disappears at most ${ttl} ms after its last heartbeat`);
  },
};
