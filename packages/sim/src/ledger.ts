import { answeredFate, type RequestFate } from "@fulcrum/core/accounting";
import { Samples } from "@fulcrum/core/stats";
import { SimInvariantError } from "./errors.js";
import type { SimRequest } from "./request.js";

/**
 * How a simulated request ended, in the gateway's words: answered `in-time` or `late`, or refused
 * with a reason: `dropped` (a stage could not meet its deadline and dropped it early,
 * DEADLINE_EXCEEDED), `rejected` (a stage queue was full, RESOURCE_EXHAUSTED), `unavailable` (no
 * ready replica of a stage, UNAVAILABLE).
 */
export const FATES = ["inTime", "late", "dropped", "rejected", "unavailable"] as const;
export type Fate = (typeof FATES)[number];

/**
 * Each simulated fate in the accounting's own terms (`@fulcrum/core/accounting`, the load
 * generator's and gateway's ledger): the fate and, for a refusal, the status code the gateway
 * answers with. The ledger checks `sent = in-time + late + rejected + failed` in these terms.
 */
export const CORE_FATE: Readonly<Record<Fate, { readonly fate: RequestFate; readonly code?: string }>> = {
  inTime: { fate: "in-time" },
  late: { fate: "late" },
  dropped: { fate: "rejected", code: "DEADLINE_EXCEEDED" },
  rejected: { fate: "rejected", code: "RESOURCE_EXHAUSTED" },
  unavailable: { fate: "rejected", code: "UNAVAILABLE" },
};

/** The run's counts in the accounting's terms: `sent`, per {@link RequestFate}, and refusals by status code. */
export interface CoreFateCounts {
  readonly sent: number;
  readonly fates: Readonly<Record<RequestFate, number>>;
  readonly byCode: Readonly<Record<string, number>>;
}

/** Request counts, by fate. */
export interface FateCounts {
  readonly arrivals: number;
  readonly inTime: number;
  readonly late: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly unavailable: number;
}

const IN_TIME = 0;
const LATE = 1;
const DROPPED = 2;
const REJECTED = 3;
const UNAVAILABLE = 4;

/**
 * Every request's fate, counted in total and per arrival second, with the ledger invariant
 * `arrivals = inTime + late + dropped + rejected + unavailable + inFlight` checked on demand (and
 * `inFlight = 0` once a run has drained). Latencies of answered requests are kept for exact
 * quantiles; accuracy sums for the served (request-weighted) accuracy.
 */
export class Ledger {
  private arrivalsTotal = 0;
  private readonly totals = [0, 0, 0, 0, 0];
  /** Per arrival second: arrivals, then one array per fate. */
  readonly arrivalsPerSecond: number[];
  readonly perSecond: number[][];
  private readonly latencies = new Samples();
  private accuracySum = 0;

  /** @param seconds the run's length, s: per-second rows are sized for it (they grow past it if need be). */
  constructor(seconds = 0) {
    this.arrivalsPerSecond = new Array<number>(seconds).fill(0);
    this.perSecond = FATES.map(() => new Array<number>(seconds).fill(0));
  }

  /** End-to-end latency of every answered request (in time or late), ms, in the order they were answered. */
  get latenciesMs(): Float64Array {
    return this.latencies.view();
  }

  /** Counts an arrival. */
  arrive(req: SimRequest): void {
    this.arrivalsTotal++;
    const s = Math.floor(req.arrivalMs / 1000);
    if (s >= this.arrivalsPerSecond.length) grow(this.arrivalsPerSecond, s);
    this.arrivalsPerSecond[s]!++;
  }

  /** The request was answered at `nowMs` (its accuracy is final). */
  answered(req: SimRequest, nowMs: number): void {
    this.latencies.push(nowMs - req.arrivalMs);
    this.accuracySum += req.accuracy;
    this.count(req, answeredFate(nowMs, req.deadlineMs) === "in-time" ? IN_TIME : LATE);
  }

  dropped(req: SimRequest): void {
    this.count(req, DROPPED);
  }

  rejected(req: SimRequest): void {
    this.count(req, REJECTED);
  }

  unavailable(req: SimRequest): void {
    this.count(req, UNAVAILABLE);
  }

  /** Requests that arrived and have no fate yet. */
  get inFlight(): number {
    return this.arrivalsTotal - this.totals.reduce((a, b) => a + b, 0);
  }

  /** Totals so far. */
  counts(): FateCounts {
    const t = this.totals;
    return { arrivals: this.arrivalsTotal, inTime: t[IN_TIME]!, late: t[LATE]!, dropped: t[DROPPED]!, rejected: t[REJECTED]!, unavailable: t[UNAVAILABLE]! };
  }

  /** Totals in the accounting's terms (see {@link CORE_FATE}). */
  coreCounts(): CoreFateCounts {
    const fates: Record<RequestFate, number> = { "in-time": 0, late: 0, rejected: 0, failed: 0 };
    const byCode: Record<string, number> = {};
    FATES.forEach((f, i) => {
      const n = this.totals[i]!;
      const { fate, code } = CORE_FATE[f];
      fates[fate] += n;
      if (code !== undefined && n > 0) byCode[code] = (byCode[code] ?? 0) + n;
    });
    return { sent: this.arrivalsTotal, fates, byCode };
  }

  /** Mean accuracy (product over stages) of answered requests; `undefined` when none was answered. */
  servedAccuracy(): number | undefined {
    const answered = this.totals[IN_TIME]! + this.totals[LATE]!;
    return answered > 0 ? this.accuracySum / answered : undefined;
  }

  /**
   * Checks the ledger: totals balance with `inFlight` requests still travelling (0 after a drained
   * run), and every per-second row balances against its arrivals once nothing is in flight.
   * @throws SimInvariantError describing the imbalance
   */
  check(expectedInFlight: number): void {
    const c = this.counts();
    const sum = c.inTime + c.late + c.dropped + c.rejected + c.unavailable;
    if (c.arrivals !== sum + expectedInFlight || this.inFlight !== expectedInFlight) {
      throw new SimInvariantError(`ledger does not balance: ${c.arrivals} arrivals ≠ ${c.inTime} in time + ${c.late} late + ${c.dropped} dropped + ${c.rejected} rejected + ${c.unavailable} unavailable + ${expectedInFlight} in flight`);
    }
    const core = this.coreCounts();
    const f = core.fates;
    if (core.sent !== f["in-time"] + f.late + f.rejected + f.failed + expectedInFlight) {
      throw new SimInvariantError(`ledger does not balance in the accounting's terms: sent ${core.sent} ≠ in-time ${f["in-time"]} + late ${f.late} + rejected ${f.rejected} + failed ${f.failed} + ${expectedInFlight} in flight`);
    }
    if (expectedInFlight > 0) return;
    for (let s = 0; s < this.arrivalsPerSecond.length; s++) {
      let fated = 0;
      for (const row of this.perSecond) fated += row[s] ?? 0;
      if (fated !== this.arrivalsPerSecond[s]) throw new SimInvariantError(`ledger does not balance in second ${s}: ${this.arrivalsPerSecond[s]} arrivals, ${fated} fates`);
    }
  }

  /** Per-second counts of one fate for seconds 0..seconds−1. */
  fatePerSecond(fate: Fate, seconds: number): number[] {
    const row = this.perSecond[FATES.indexOf(fate)]!;
    return Array.from({ length: seconds }, (_, s) => row[s] ?? 0);
  }

  private count(req: SimRequest, fate: number): void {
    this.totals[fate]!++;
    const s = Math.floor(req.arrivalMs / 1000);
    const row = this.perSecond[fate]!;
    if (s >= row.length) grow(row, s);
    row[s]!++;
  }
}

/** Extends `row` with zeros through index `s` (dense arrays, no holes). */
function grow(row: number[], s: number): void {
  while (row.length <= s) row.push(0);
}
