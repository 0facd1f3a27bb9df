/**
 * The control plane (NATS): registry entry and heartbeat (KV `fulcrum_registry`), StageMetrics
 * every second, Assignments (subject + KV `fulcrum_assignments`) acked per version, and drain
 * requests. Subjects and keys follow docs/extending.md; names are subject tokens, checked in config.
 */
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Config } from "./config.js";
import type { Assignment, AssignmentAck, RegistryEntry, VariantAllocation } from "./protos.js";

/** Fulcrum's control-plane names (the subject grammar of docs/extending.md). */
export const names = {
  metrics: (c: Config) => `fulcrum.metrics.stage.${c.pipeline}.${c.stage}.${c.instance}`,
  assignment: (c: Config) => `fulcrum.assignment.${c.pipeline}`,
  ack: (c: Config) => `fulcrum.ack.${c.pipeline}.${c.stage}.${c.instance}`,
  drain: (c: Config) => `fulcrum.drain.${c.pipeline}.${c.stage}.${c.instance}`,
  registryBucket: "fulcrum_registry",
  assignmentsBucket: "fulcrum_assignments",
  registryKey: (c: Config) => `${c.pipeline}.${c.stage}.${c.instance}`,
};

/** What this replica runs, as reported in the registry and StageMetrics. */
export interface Running {
  readonly variant: string;
  readonly cores: number;
  readonly batch: number;
  /** Newest Assignment version processed (applied, or refused with the old configuration kept); 0 before any. */
  readonly version: number;
}

/**
 * Which allocation replica `index` of a stage follows: variants take consecutive replica ranges in
 * the order listed (`[a×2, b×1]`: replicas 0, 1 → a, 2 → b); a replica beyond the total follows the
 * variant with the largest weight.
 */
export function allocationForReplica(variants: readonly VariantAllocation[], index: number): VariantAllocation | undefined {
  let at = 0;
  for (const v of variants) {
    if (v.weight <= 0 || v.replicas <= 0) continue;
    if (index < at + v.replicas) return v;
    at += v.replicas;
  }
  return [...variants].sort((a, b) => b.weight - a.weight)[0];
}

/**
 * Decides what to do with an Assignment of this pipeline. Pure: `undefined` when there is nothing
 * to ack (not newer than what runs), else the new running state and the ack.
 */
export function decide(a: Assignment, c: Config, running: Running, nowMs: number, receivedMs: number): { running: Running; ack: AssignmentAck } | undefined {
  if (a.pipeline !== c.pipeline || !(a.version > running.version)) return undefined;
  const base = { pipeline: c.pipeline, stage: c.stage, instance: c.instance, version: a.version, appliedUnixMs: Math.round(nowMs) };
  const refuse = (error: string) => ({ running: { ...running, version: a.version }, ack: { ...base, applied: false, applyMs: nowMs - receivedMs, error } });
  const mine = a.stages.find((s) => s.stage === c.stage);
  if (!mine) return refuse(`assignment v${a.version} does not name stage "${c.stage}"`);
  const alloc = allocationForReplica(mine.variants, c.replicaIndex);
  if (!alloc) return refuse(`assignment v${a.version} lists no variant for stage "${c.stage}"`);
  if (alloc.variant !== c.variant) return refuse(`variant "${alloc.variant}" is not served here: this stage has one variant, "${c.variant}"`);
  if (!(alloc.batch >= 1) || !(alloc.coresPerReplica >= 1)) return refuse(`batch ${alloc.batch} and cores_per_replica ${alloc.coresPerReplica} must be ≥ 1`);
  // Batch and cores change in place: the batch applies at the next dispatch; cores are the
  // replica's CPU allotment (this process is single-threaded, so more than one buys nothing).
  return {
    running: { variant: alloc.variant, cores: alloc.coresPerReplica, batch: alloc.batch, version: a.version },
    ack: { ...base, applied: true, applyMs: nowMs - receivedMs, error: "" },
  };
}

/** Opens a KV bucket; creates it (history 1, max-age `ttlMs` if given) only when it does not exist. */
export function openBucket(nc: NatsConnection, name: string, ttlMs?: number): Promise<KV> {
  return new Kvm(nc).create(name, { history: 1, ...(ttlMs ? { ttl: ttlMs } : {}) });
}

/** Subscribes `handler` to `subject` with messages decoded by `decode`; undecodable ones are logged and skipped. */
export function subscribe<T>(nc: NatsConnection, subject: string, decode: (b: Uint8Array) => T, handler: (m: T, reply?: string) => void | Promise<void>, log: (msg: string, extra?: object) => void): Subscription {
  const sub = nc.subscribe(subject);
  void (async () => {
    for await (const m of sub) {
      let value: T;
      try {
        value = decode(m.data);
      } catch (err) {
        log("dropped undecodable message", { subject, err: (err as Error).message });
        continue;
      }
      try {
        await handler(value, m.reply);
      } catch (err) {
        log("message handler failed", { subject, err: (err as Error).message });
      }
    }
  })();
  return sub;
}

/** The registry entry of this replica now. */
export function registryEntry(c: Config, address: string, running: Running, state: RegistryEntry["state"], startedMs: number, nowMs: number): RegistryEntry {
  return {
    pipeline: c.pipeline,
    stage: c.stage,
    instance: c.instance,
    address,
    variant: running.variant,
    cores: running.cores,
    batch: running.batch,
    assignmentVersion: running.version,
    heartbeatUnixMs: Math.round(nowMs),
    startedUnixMs: Math.round(startedMs),
    state,
    variants: [c.variant],
  };
}
