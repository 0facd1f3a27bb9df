/** What one stage instance looks like now. */
export interface InstanceView {
  readonly stage: string;
  readonly instance: string;
  readonly variant: string;
  readonly cores: number;
  readonly batchSize: number;
  readonly queueLength: number;
  readonly latencyP95Ms: number;
  readonly assignmentVersion: number;
  /** Completions per second in its latest window. */
  readonly throughputRps: number;
  /** Whether its latest sample is recent (within `staleMs`). */
  readonly fresh: boolean;
}

/** Request totals since the monitor started (fates as in docs/architecture.md#metrics). */
export interface Totals {
  readonly sent: number;
  readonly inTime: number;
  readonly late: number;
  readonly rejected: number;
  readonly failed: number;
}

/** A pipeline's state for dashboards and the launcher's status line. */
export interface PipelineSummary {
  readonly pipeline: string;
  /** Arrivals per second in the latest gateway window. */
  readonly arrivalsRps: number;
  /** Since the monitor started. */
  readonly totals: Totals;
  /** 1 − violations/sent over the last `attainmentWindowMs` (1 when nothing was sent). */
  readonly attainment: number;
  /** 1 − violations/sent since the monitor started. */
  readonly attainmentTotal: number;
  /** Latency quantiles of the latest gateway window, ms. */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  /** Mean accuracy over the last `attainmentWindowMs` weighted by answers (0 when unknown). */
  readonly meanAccuracy: number;
  /** Σ cores of fresh instances. */
  readonly coresAllocated: number;
  /** Fresh instances per stage. */
  readonly replicas: Readonly<Record<string, number>>;
  readonly instances: readonly InstanceView[];
  /** Gateway windows kept. */
  readonly historyLength: number;
}
