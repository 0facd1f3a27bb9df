import { control, KV_BUCKETS, kvKeys, subjects, subjectToken } from "@fulcrum/proto";
import { connectBus, type Bus, type Codec } from "@fulcrum/runtime";
import { CLAUSES } from "./clauses/index.js";
import { ConformanceSetupError } from "./errors.js";
import { KvTap, SubjectTap } from "./taps.js";
import type { Clause, ClauseResult, ClauseVerdict, ConformanceTarget, KitContext } from "./types.js";

/** Options of {@link runConformance}. */
export interface RunOptions {
  /** Called with each clause's result as soon as it is known. */
  readonly onResult?: (r: ClauseResult) => void;
  /** Clause table. @default {@link CLAUSES} */
  readonly clauses?: readonly Clause[];
  /** Unix ms clock. @default Date.now */
  readonly now?: () => number;
}

/** Everything a run found. `passed`: no clause failed (skipped ones do not count). */
export interface ConformanceReport {
  readonly target: ConformanceTarget;
  readonly results: readonly ClauseResult[];
  readonly passed: boolean;
}

/** JSON through NATS request/reply, for the JetStream API. */
const json: Codec<unknown> = {
  encode: (m) => ({ finish: () => new TextEncoder().encode(JSON.stringify(m)) }),
  decode: (b) => JSON.parse(new TextDecoder().decode(b)) as unknown,
};

/**
 * Max age of a KV bucket, ms (0 = none), or undefined when the bucket does not exist. Read through
 * the JetStream API rather than by opening the bucket, which would create a missing one.
 */
async function bucketMaxAgeMs(bus: Bus, bucket: string, timeoutMs: number): Promise<number | undefined> {
  const info = (await bus.request(`$JS.API.STREAM.INFO.KV_${bucket}`, json, {}, json, { timeoutMs })) as { config?: { max_age?: number }; error?: { code: number; description: string } };
  if (info.error?.code === 404) return undefined;
  if (info.error) throw new ConformanceSetupError(`JetStream stream info of KV ${bucket}: ${info.error.description}`);
  return (info.config?.max_age ?? 0) / 1e6;
}

/**
 * Runs the stage contract's clauses against one live stage instance, in table order. A clause
 * whose prerequisite failed (no registry entry, unreadable ModelMetadata) fails saying so; an
 * opt-in clause not asked for is skipped. Throws {@link ConformanceSetupError} only when it cannot
 * start (NATS unreachable, invalid names).
 */
export async function runConformance(target: ConformanceTarget, options: RunOptions = {}): Promise<ConformanceReport> {
  for (const [field, value] of Object.entries({ pipeline: target.pipeline, stage: target.stage, instance: target.instance })) {
    try {
      subjectToken(field, value);
    } catch (cause) {
      throw new ConformanceSetupError((cause as Error).message, { cause });
    }
  }
  const now = options.now ?? Date.now;
  let bus: Bus;
  try {
    bus = await connectBus({ servers: target.natsUrl, name: `conformance-${target.pipeline}-${target.stage}-${target.instance}`, connectTimeoutMs: target.timeoutMs });
  } catch (cause) {
    throw new ConformanceSetupError(`cannot reach NATS at ${target.natsUrl}: ${(cause as Error).message}`, { cause });
  }
  const { pipeline, stage, instance } = target;
  const stops: Array<() => Promise<void>> = [];
  let ctx: KitContext | undefined;
  try {
    const registryTtlMs = await bucketMaxAgeMs(bus, KV_BUCKETS.registry, target.timeoutMs);
    const registry = registryTtlMs === undefined ? undefined : await KvTap.start(await bus.kv(KV_BUCKETS.registry), kvKeys.registry(pipeline, stage, instance), control.RegistryEntry, now);
    if (registry) stops.push(() => registry.stop());
    const metrics = SubjectTap.start(bus, subjects.stageMetrics(pipeline, stage, instance), control.StageMetrics, now);
    const acks = SubjectTap.start(bus, subjects.ack(pipeline, stage, instance), control.AssignmentAck, now);
    stops.push(() => metrics.stop(), () => acks.stop());
    // The subscriptions are live at the server before any clause sends something they should see.
    await bus.flush();
    ctx = { target, bus, now, assignmentsKv: await bus.kv(KV_BUCKETS.assignments), registryTtlMs, registry, metrics, acks };
    const results: ClauseResult[] = [];
    for (const clause of options.clauses ?? CLAUSES) {
      const started = now();
      const verdict = await runClause(clause, ctx);
      const r: ClauseResult = { id: clause.id, title: clause.title, ...verdict, ms: now() - started };
      results.push(r);
      options.onResult?.(r);
    }
    return { target, results, passed: results.every((r) => r.status !== "fail") };
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    ctx?.oip?.close();
    await bus.drain();
  }
}

async function runClause(clause: Clause, ctx: KitContext): Promise<ClauseVerdict> {
  if (clause.optIn && !clause.optIn.enabled(ctx.target)) return { status: "skip", detail: clause.optIn.skipReason };
  if (clause.needs.includes("entry") && !ctx.entry) return { status: "fail", detail: "not run: no usable registry entry (see registry.entry)" };
  if (clause.needs.includes("model") && !(ctx.entry && ctx.model)) return { status: "fail", detail: "not run: no usable registry entry or ModelMetadata (see registry.entry, oip.metadata)" };
  try {
    return await clause.run(ctx);
  } catch (err) {
    return { status: "fail", detail: `the check threw: ${(err as Error).message}` };
  }
}

/** One report line: `PASS oip.deadline  <title> (812 ms): <detail>`. */
export function formatResult(r: ClauseResult, idWidth = 20): string {
  return `${r.status.toUpperCase().padEnd(4)} ${r.id.padEnd(idWidth)} ${r.title} (${Math.round(r.ms)} ms): ${r.detail}`;
}

/** The closing line of a report. */
export function formatSummary(report: ConformanceReport): string {
  const n = (s: string): number => report.results.filter((r) => r.status === s).length;
  const { pipeline, stage, instance } = report.target;
  return `conformance of ${pipeline}.${stage}.${instance} (stage contract v1): ${report.passed ? "CONFORMS" : "DOES NOT CONFORM"} (${n("pass")} pass, ${n("fail")} fail, ${n("skip")} skip)`;
}
