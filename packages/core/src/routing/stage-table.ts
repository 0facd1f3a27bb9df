/**
 * The `Router`'s compiled view of one (pipeline, stage): what `route` reads on every call,
 * rebuilt only when the stage's replicas (membership, state, variant) or the pipeline's assignment
 * change, so a call allocates nothing. The routing state that must survive a rebuild (smooth-WRR
 * scores and tie counters, both per variant name) lives in objects the rebuilt pools point to.
 */
import type { Assignment } from "../assignment/index.js";
import type { ReplicaInfo } from "./replica-choice.js";
import type { Route } from "./router.js";

/** Calls in flight on one instance, and how many stage tables hold it (0 and 0: the counter can go). */
export interface Counter {
  outstanding: number;
  registrations: number;
}

/** One registered replica; its routes are made once per replica object, not per call. */
export interface Entry<R extends ReplicaInfo> {
  info: R;
  readonly counter: Counter;
  /** The route when the split chose this replica's variant. */
  matched: Route<R>;
  /** The route when no assigned variant was live. */
  fallback: Route<R>;
}

/** A variant's smooth-WRR score (absent from the state ≡ 0); `next` and `epoch` are one call's scratch. */
export interface Cell {
  score: number;
  next: number;
  epoch: number;
}

/** One assigned variant with a positive finite weight, and its ready replicas sorted by instance. */
export interface Group<R extends ReplicaInfo> {
  readonly weight: number;
  readonly cell: Cell;
  readonly tie: { n: number };
  readonly pool: readonly Entry<R>[];
}

export interface StageTable<R extends ReplicaInfo> {
  /** Registered replicas by instance, in registration order. */
  readonly entries: Map<string, Entry<R>>;
  /** Bumped when a replica appears, leaves, or changes state or variant. */
  version: number;
  compiledVersion: number;
  compiledAssignment: number;
  /** `ready` replicas of every variant, sorted by instance: the fallback pool. */
  ready: readonly Entry<R>[];
  /** In the assignment's order. */
  groups: readonly Group<R>[];
  /** Every variant's score cell ever made for this stage (a variant left out of a pick resets to 0). */
  readonly cells: Cell[];
  readonly cellOf: Map<string, Cell>;
  /** Tie counters per chosen variant. */
  readonly ties: Map<string, { n: number }>;
  /** The fallback pool's tie counter: the one of variant `""`, as the counters were always keyed. */
  readonly fallbackTie: { n: number };
  epoch: number;
}

export function newStageTable<R extends ReplicaInfo>(): StageTable<R> {
  const fallbackTie = { n: 0 };
  return { entries: new Map(), version: 0, compiledVersion: -1, compiledAssignment: -1, ready: [], groups: [], cells: [], cellOf: new Map(), ties: new Map([["", fallbackTie]]), fallbackTie, epoch: 0 };
}

const byInstance = <R extends ReplicaInfo>(a: Entry<R>, b: Entry<R>): number => (a.info.instance < b.info.instance ? -1 : a.info.instance > b.info.instance ? 1 : 0);

function tieOf<R extends ReplicaInfo>(t: StageTable<R>, variant: string): { n: number } {
  let c = t.ties.get(variant);
  if (!c) t.ties.set(variant, (c = { n: 0 }));
  return c;
}

function cellOf<R extends ReplicaInfo>(t: StageTable<R>, variant: string): Cell {
  let c = t.cellOf.get(variant);
  if (!c) {
    t.cellOf.set(variant, (c = { score: 0, next: 0, epoch: 0 }));
    t.cells.push(c);
  }
  return c;
}

/** Rebuilds `t`'s pools for its current replicas and `assignment` (installed as `assignmentVersion`). */
export function compileStage<R extends ReplicaInfo>(t: StageTable<R>, stage: string, assignment: Assignment | undefined, assignmentVersion: number): void {
  const ready = [...t.entries.values()].filter((e) => e.info.state === "ready").sort(byInstance);
  const split = assignment?.stages.find((s) => s.stage === stage)?.variants ?? [];
  t.ready = ready;
  t.groups = split
    .filter((v) => v.weight > 0 && Number.isFinite(v.weight))
    .map((v) => ({ weight: v.weight, cell: cellOf(t, v.variant), tie: tieOf(t, v.variant), pool: ready.filter((e) => e.info.variant === v.variant) }));
  t.compiledVersion = t.version;
  t.compiledAssignment = assignmentVersion;
}
