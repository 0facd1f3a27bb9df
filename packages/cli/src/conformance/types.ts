import type { control, inference } from "@fulcrum/proto";
import type { Bus, TypedKv } from "@fulcrum/runtime";
import type { KvTap, SubjectTap } from "./taps.js";
import type { OipProbe } from "./oip-probe.js";

/** The live stage instance the kit checks, and how long it waits. */
export interface ConformanceTarget {
  readonly pipeline: string;
  readonly stage: string;
  readonly instance: string;
  /** NATS server URL(s) of the control plane. */
  readonly natsUrl: string;
  /**
   * Longest wait of any single step (an RPC, an ack, a drain), ms.
   * @default 10000
   */
  readonly timeoutMs: number;
  /** Run the drain clause, which stops the stage. @default false */
  readonly drain: boolean;
}

/** Outcome of one clause. `skip`: not run on purpose (e.g. drain without `--drain`); never counts as a failure. */
export type ClauseStatus = "pass" | "fail" | "skip";

/** What a clause returns. */
export interface ClauseVerdict {
  readonly status: ClauseStatus;
  /** What was measured or what was wrong, one line. */
  readonly detail: string;
}

/** One clause's line in the report. */
export interface ClauseResult extends ClauseVerdict {
  readonly id: string;
  readonly title: string;
  /** Time the clause took, ms. */
  readonly ms: number;
}

/** State the clauses share; each clause may fill in what later ones need. */
export interface KitContext {
  readonly target: ConformanceTarget;
  readonly bus: Bus;
  /** Unix ms clock. */
  readonly now: () => number;
  readonly assignmentsKv: TypedKv;
  /** Max age of the registry bucket, ms (0 = entries never expire), or undefined when the bucket does not exist. */
  readonly registryTtlMs: number | undefined;
  /** Every put (value) and delete (undefined) of the instance's registry key since the kit started. */
  readonly registry: KvTap<control.RegistryEntry> | undefined;
  /** Every StageMetrics of the instance since the kit started. */
  readonly metrics: SubjectTap<control.StageMetrics>;
  /** Every AssignmentAck of the instance since the kit started. */
  readonly acks: SubjectTap<control.AssignmentAck>;
  /** The registry entry found by the first clause. */
  entry?: control.RegistryEntry;
  /** OIP client on the entry's address. */
  oip?: OipProbe;
  /** The stage's ModelMetadata, once read. */
  model?: inference.ModelMetadataResponse;
}

/** What a clause needs from earlier clauses before it can run. */
export type ClauseNeed = "entry" | "model";

/** One row of the clause table. */
export interface Clause {
  /** Stable id printed in the report (`oip.deadline`), what tests and docs refer to. */
  readonly id: string;
  /** What the contract requires, one line. */
  readonly title: string;
  readonly needs: readonly ClauseNeed[];
  /** When false, the clause runs only when the target asks for it (`--drain`); otherwise it is skipped with `skipReason`. */
  readonly optIn?: { readonly enabled: (t: ConformanceTarget) => boolean; readonly skipReason: string };
  run(ctx: KitContext): Promise<ClauseVerdict>;
}
