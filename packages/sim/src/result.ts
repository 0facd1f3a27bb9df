import type { DecisionRecord } from "./control-loop.js";
import type { FateCounts } from "./ledger.js";

/**
 * Per-second series of one run, index = second of the run (0 … durationS−1). Requests are counted
 * by the second they ARRIVED in (a violation belongs to the load that caused it).
 */
export interface RunSeries {
  /** Arrivals per second (the load). */
  readonly arrivals: readonly number[];
  /** λ̂ the assignment in force was decided for, rps (0 before the first decision with a forecast). */
  readonly forecastRps: readonly number[];
  /** Mean cores allocated over the second (starting, ready, draining and switching replicas). */
  readonly cores: readonly number[];
  /** Mean expected pipeline accuracy of the assignment in force over the second, percent (PAS·100). */
  readonly accuracyPct: readonly number[];
  /** Requests of the second answered in time. */
  readonly inTime: readonly number[];
  /** Requests of the second not answered in time (late, dropped, rejected, unavailable). */
  readonly violations: readonly number[];
}

/** What one simulated run measured. */
export interface RunResult {
  readonly label: string;
  /** Run length (the workload's), s; means are over [0, durationS). */
  readonly durationS: number;
  readonly counts: FateCounts;
  /** In-time share of arrivals, in [0, 1] (1 for a run without arrivals). */
  readonly attainment: number;
  /** Arrivals not answered in time: late + dropped + rejected + unavailable. */
  readonly violations: number;
  /** Time-averaged cores allocated (replicas starting, serving, draining, switching). */
  readonly meanCores: number;
  /**
   * Time-averaged cores of the assignment in force, as decided (what IPA and InfAdapter report as
   * cost): without the replicas still starting or already replaced during a change.
   */
  readonly meanDecidedCores: number;
  /**
   * Time-averaged expected pipeline accuracy of the assignment in force, percent: per stage the
   * traffic-weighted variant accuracy, multiplied over stages (IPA's PAS·100; InfAdapter's Σ share·accuracy).
   */
  readonly meanAccuracy: number;
  /** Mean accuracy (product over the variants that served it) of answered requests, percent; 0 when none. */
  readonly servedAccuracy: number;
  /** P99 end-to-end latency of answered requests (in time or late), ms; 0 when none. */
  readonly p99LatencyMs: number;
  /** New replicas started (cold starts). */
  readonly coldStarts: number;
  /** Replicas switched in place (cores or variant). */
  readonly inPlaceSwitches: number;
  /** Decisions the policy made, and how many were fallbacks / holds / kept for lack of a forecast. */
  readonly decisions: { readonly total: number; readonly fallbacks: number; readonly held: number; readonly kept: number };
  readonly series: RunSeries;
  /** Every decision, in order. */
  readonly decisionLog: readonly DecisionRecord[];
  /** Wall-clock figures (not deterministic; absent without a wall clock). */
  readonly timing?: RunTiming;
}

/** Wall-clock cost of a run. */
export interface RunTiming {
  /** Whole run, ms. */
  readonly wallMs: number;
  /** Inside the control steps (predictor and policy, the solver included, and their timing), ms. */
  readonly decisionWallMs: number;
  /** Slowest control step, ms. */
  readonly decisionWallMaxMs: number;
  /** The rest (arrivals, routing, batching, accounting), ms. */
  readonly engineWallMs: number;
  /** Stage visits simulated (a request crossing 2 stages counts 2). */
  readonly stageVisits: number;
  /** Process CPU time of the run, of its control steps and of the rest, ms (with a CPU clock). */
  readonly cpuMs?: number;
  readonly decisionCpuMs?: number;
  readonly engineCpuMs?: number;
}
