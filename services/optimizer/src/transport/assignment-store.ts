import type { Assignment } from "@fulcrum/core";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { KvConflictError, toPbAssignment, type Bus, type KvEntry, type Logger, type TypedKv } from "@fulcrum/runtime";

/** An Assignment decided but not numbered yet: the store gives it its version. */
export type AssignmentDraft = Omit<Assignment, "version">;

/** What became of one {@link AssignmentStore.publish}. */
export type PublishResult =
  /** Written to KV under `assignment.version` (the version authority), then broadcast. */
  | { readonly status: "written"; readonly assignment: Assignment; readonly reason: string }
  /** Not written yet (NATS away, or KV refusing): retried in the background until it is. */
  | { readonly status: "pending"; readonly assignment: Assignment; readonly reason: string; readonly error: unknown };

/** Options of {@link openAssignmentStore}. */
export interface AssignmentStoreOptions {
  readonly bus: Bus;
  readonly pipeline: string;
  readonly logger: Logger;
  /** First wait between attempts at a pending write, ms; doubles up to 5 s. */
  readonly retryMs: number;
  /** Compare-and-set attempts per write before it becomes pending (each re-reads after a conflict). @default 5 */
  readonly casAttempts?: number;
  /** A pending write was written at last (by the background retry). */
  readonly onWritten: (assignment: Assignment, reason: string) => void;
  /** Someone else wrote the key: `stored` is what it holds now (its version is the new floor). */
  readonly onConflict: (stored: control.Assignment | undefined, ourVersion: number) => void;
  /** A write attempt failed for another reason (NATS away…). */
  readonly onWriteFailed: (err: unknown, version: number) => void;
}

/**
 * The optimizer's side of the version authority: KV `fulcrum_assignments/<pipeline>`, written with
 * compare-and-set on the revision last seen, then broadcast on `fulcrum.assignment.<pipeline>`.
 * After a conflict it re-reads the entry and numbers above whatever it holds (a stray v10¹² included).
 * A write that fails (NATS away) stays pending and is retried until it succeeds; a newer decision
 * replaces a pending one, so what receivers get once NATS is back is the latest decision.
 */
export interface AssignmentStore {
  /** Version of the last Assignment written (or found in KV at start); 0: none. */
  readonly version: number;
  /** The Assignment found in KV at start, undecoded (the caller validates it). */
  readonly stored: control.Assignment | undefined;
  /** The decision waiting to be written, if any. */
  readonly pending: Assignment | undefined;
  /** Numbers `draft` above every version known, writes it (CAS) and broadcasts it. */
  publish(draft: AssignmentDraft, reason: string): Promise<PublishResult>;
  /**
   * Re-reads the KV entry: `unchanged` when it is still the entry this store last wrote or read;
   * `changed` when someone else wrote or deleted it since (its version becomes the floor and
   * `onConflict` is told, as after a failed compare-and-set); `unknown` when KV did not answer.
   * An optimizer that publishes only changes calls it before keeping its decision unpublished, so a
   * foreign entry does not stay in force.
   */
  verify(): Promise<"unchanged" | "changed" | "unknown">;
  /** Broadcasts the last written Assignment again (receivers that missed it re-read KV). */
  rebroadcast(): void;
  /** Stops retrying; a pending write is abandoned (logged). Idempotent. */
  close(): Promise<void>;
}

/** Opens the store: reads the entry in KV (when NATS answers; else later, at the first write). */
export async function openAssignmentStore(o: AssignmentStoreOptions): Promise<AssignmentStore> {
  const { bus, pipeline, logger: log } = o;
  const key = kvKeys.assignment(pipeline);
  const attempts = o.casAttempts ?? 5;
  let kv: TypedKv | undefined;
  /** Revision of the entry as last seen; undefined: no value (a write must create it). */
  let revision: number | undefined;
  let version = 0;
  let last: control.Assignment | undefined;
  let pending: { draft: AssignmentDraft; reason: string } | undefined;
  let pendingAssignment: Assignment | undefined;
  let retry: NodeJS.Timeout | undefined;
  let retryMs = o.retryMs;
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();

  const read = async (): Promise<KvEntry<control.Assignment> | undefined> => {
    kv ??= await bus.kv(KV_BUCKETS.assignments);
    return kv.entry(key, control.Assignment);
  };
  const adopt = (e: KvEntry<control.Assignment> | undefined): void => {
    revision = e?.revision;
    // An undecodable entry still has a revision to write over; its version is unknown, so ours continue.
    if (e?.value) version = Math.max(version, e.value.version);
  };
  let stored: control.Assignment | undefined;
  try {
    const e = await read();
    adopt(e);
    stored = e?.value;
  } catch (err) {
    log.warn({ err }, "assignments KV unavailable at start: the first decision writes it once NATS answers");
  }

  /** One write with CAS, renumbering above the KV's version after each conflict. */
  const write = async (draft: AssignmentDraft, reason: string): Promise<Assignment> => {
    kv ??= await bus.kv(KV_BUCKETS.assignments);
    for (let i = 1; ; i++) {
      const a: Assignment = { ...draft, version: version + 1 };
      const pb = toPbAssignment(a, reason);
      try {
        revision = await kv.update(key, control.Assignment, pb, revision);
        version = a.version;
        last = pb;
        bus.publish(subjects.assignment(pipeline), control.Assignment, pb);
        return a;
      } catch (err) {
        if (!(err instanceof KvConflictError) || i >= attempts) throw err;
        const e = await read();
        adopt(e);
        o.onConflict(e?.value, a.version);
      }
    }
  };

  const schedule = (): void => {
    if (closed || retry || !pending) return;
    retry = setTimeout(() => {
      retry = undefined;
      void serial(async () => {
        if (!pending) return;
        const p = pending;
        try {
          const a = await write(p.draft, p.reason);
          if (pending === p) {
            pending = undefined;
            pendingAssignment = undefined;
          }
          retryMs = o.retryMs;
          o.onWritten(a, p.reason);
        } catch (err) {
          o.onWriteFailed(err, version + 1);
          retryMs = Math.min(retryMs * 2, 5000);
        }
        schedule();
      });
    }, retryMs);
  };
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work);
    chain = run.catch(() => {});
    return run;
  };

  return {
    get version() {
      return version;
    },
    stored,
    get pending() {
      return pendingAssignment;
    },
    publish(draft, reason) {
      return serial(async (): Promise<PublishResult> => {
        try {
          const a = await write(draft, reason);
          pending = undefined;
          pendingAssignment = undefined;
          return { status: "written", assignment: a, reason };
        } catch (err) {
          o.onWriteFailed(err, version + 1);
          pending = { draft, reason };
          pendingAssignment = { ...draft, version: version + 1 };
          schedule();
          return { status: "pending", assignment: pendingAssignment, reason, error: err };
        }
      });
    },
    verify() {
      return serial(async () => {
        let e: KvEntry<control.Assignment> | undefined;
        try {
          e = await read();
        } catch {
          return "unknown";
        }
        if (e?.revision === revision) return "unchanged";
        adopt(e);
        o.onConflict(e?.value, version);
        return "changed";
      });
    },
    rebroadcast() {
      if (last) bus.publish(subjects.assignment(pipeline), control.Assignment, last);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = undefined;
      await chain;
      if (pending) log.warn({ version: version + 1 }, "stopping with an assignment not yet written to KV (NATS away): it is dropped");
    },
  };
}
