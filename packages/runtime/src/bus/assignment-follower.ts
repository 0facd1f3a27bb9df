import { InvalidArgumentError, type Assignment } from "@fulcrum/core";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import type { Logger } from "pino";
import { toDomainAssignment } from "../codec/assignment-codec.js";
import { WIRE_ASSIGNMENT_LIMITS, type AssignmentLimits } from "../codec/limits.js";
import type { Bus, KvEntry, Stoppable, TypedKv } from "./bus.js";

/**
 * One version that became the pipeline's Assignment: either valid within the receiver's limits
 * (`assignment`), or `refused` (malformed, or beyond its limits; the error names the field), which
 * a stage acks as not applied.
 */
export type AssignmentUpdate =
  | { readonly version: number; readonly assignment: Assignment; /** Why the optimizer decided it (`optimal`, `fallback:…`). */ readonly reason: string }
  | { readonly version: number; readonly refused: InvalidArgumentError };

/** Options of {@link followAssignments}. */
export interface AssignmentFollowerOptions {
  readonly bus: Bus;
  readonly pipeline: string;
  /** Bounds of what this receiver applies. @default WIRE_ASSIGNMENT_LIMITS */
  readonly limits?: AssignmentLimits;
  readonly logger?: Logger;
  /**
   * Called once per version that becomes the pipeline's Assignment, newer versions only, one at a
   * time (the next waits for the returned promise).
   */
  readonly onUpdate: (update: AssignmentUpdate) => void | Promise<void>;
}

/** A running follower. */
export interface AssignmentFollower extends Stoppable {
  /** Newest version handed to `onUpdate` (0 before any). */
  readonly version: number;
  /** Broadcasts ignored because the KV entry did not hold their version (stray or forged). */
  readonly strayBroadcasts: number;
}

/**
 * Follows a pipeline's Assignment with the KV entry as the version authority: the optimizer writes
 * `fulcrum_assignments/<pipeline>` with compare-and-set and then broadcasts on
 * `fulcrum.assignment.<pipeline>`. A receiver applies what the KV entry holds: a KV update (watched)
 * or a broadcast (a hint that makes it re-read the entry) leads to a delivery only when the entry
 * holds a version newer than the last one delivered. A broadcast with a version the entry does not
 * hold (newer than it, or of another pipeline) is ignored and logged: a stray message, even with
 * version 10¹², cannot freeze the pipeline; an older one (overtaken by a newer write) is old news.
 *
 * Resolves once the entry stored at start (if any) has been delivered, so a late starter applies it
 * before it serves. With no entry in KV nothing is delivered: an Assignment exists only once the
 * optimizer wrote one.
 */
export async function followAssignments(o: AssignmentFollowerOptions): Promise<AssignmentFollower> {
  const { bus, pipeline, logger: log } = o;
  const limits = o.limits ?? WIRE_ASSIGNMENT_LIMITS;
  const key = kvKeys.assignment(pipeline);
  const kv: TypedKv = await bus.kv(KV_BUCKETS.assignments);
  let revision = 0;
  let delivered = 0;
  let stray = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;

  /** Acts on an entry read from KV (watched or re-read); resolves whether it was delivered. */
  const consider = async (e: KvEntry<control.Assignment>): Promise<boolean> => {
    if (e.revision <= revision) return false;
    revision = e.revision;
    const pb = e.value;
    if (!pb) return false;
    if (pb.pipeline !== pipeline) {
      log?.warn({ pipeline: pb.pipeline, revision: e.revision }, `ignoring the Assignment stored under ${key}: it names another pipeline`);
      return false;
    }
    if (pb.version <= delivered) {
      log?.warn({ version: pb.version, applied: delivered, revision: e.revision }, "ignoring a stored Assignment that is not newer than the one applied");
      return false;
    }
    let update: AssignmentUpdate;
    try {
      update = { version: pb.version, assignment: toDomainAssignment(pb, limits), reason: pb.reason };
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      log?.warn({ err, version: pb.version, field: err.field }, `refusing Assignment v${pb.version}: ${err.message}`);
      update = { version: pb.version, refused: err };
    }
    delivered = pb.version;
    if (!stopped) await o.onUpdate(update);
    return true;
  };
  /** Runs `work` after everything queued before it: deliveries stay ordered and one at a time. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work);
    chain = run.catch((err: unknown) => log?.error({ err }, "assignment follower: delivery failed"));
    return run;
  };
  const reread = (): Promise<KvEntry<control.Assignment> | undefined> => kv.entry(key, control.Assignment);

  const initial = await reread();
  if (initial) await serial(() => consider(initial));

  const watch = await kv.watch(key, control.Assignment, (value, _key, rev) => {
    // Deletions are not Assignments: the one in force stays.
    if (value) void serial(() => consider({ revision: rev, value }));
  });
  const sub = bus.subscribe(subjects.assignment(pipeline), control.Assignment, (pb) =>
    serial(async () => {
      if (pb.pipeline === pipeline && pb.version === delivered) return; // the broadcast of what the KV watch delivered
      let entry: KvEntry<control.Assignment> | undefined;
      try {
        entry = await reread();
      } catch (err) {
        log?.warn({ err, version: pb.version }, "ignoring a broadcast Assignment: the KV entry, the version authority, cannot be read to check it");
        return;
      }
      if (entry) await consider(entry);
      // The entry's own broadcast, or an older one overtaken by a newer write: nothing to say.
      if (pb.pipeline === pipeline && pb.version <= (entry?.value?.version ?? 0)) return;
      stray += 1;
      let why = "";
      try {
        toDomainAssignment(pb, limits);
      } catch (err) {
        why = ` (and it is invalid: ${(err as Error).message})`;
      }
      log?.warn(
        { version: pb.version, pipeline: pb.pipeline, stored: entry?.value?.version ?? 0, applied: delivered, strayBroadcasts: stray },
        `ignoring a broadcast Assignment v${pb.version}: the pipeline's Assignment in KV ${KV_BUCKETS.assignments} (the version authority) is v${entry?.value?.version ?? 0}${why}`,
      );
    }),
  );
  await bus.flush().catch(() => {});

  return {
    get version() {
      return delivered;
    },
    get strayBroadcasts() {
      return stray;
    },
    async stop() {
      stopped = true;
      await sub.stop();
      await watch.stop();
      await chain;
    },
  };
}
