/** Options of {@link AdmissionGate}. */
export interface AdmissionOptions {
  /**
   * Time constant of the service-rate estimate (exponentially weighted over busy time), ms: how
   * fast the gate follows a pipeline that speeds up or slows down. @default 1000
   */
  readonly windowMs?: number;
  /**
   * Share of a request's remaining budget its expected latency may take. Below 1 it leaves room
   * for what the gateway cannot see (the answer's way back, a wrong estimate). @default 0.8
   */
  readonly budgetShare?: number;
}

/**
 * The gate's verdict on one request. Refusals say why: `in-flight-limit` (the concurrency bound is
 * reached) or `deadline-unreachable` (with the requests already in flight ahead of it, it is
 * expected to finish after its deadline: refused at once rather than late).
 */
export type AdmissionDecision =
  | { readonly admit: true; readonly inFlight: number; readonly expectedMs: number | undefined }
  | { readonly admit: false; readonly reason: "in-flight-limit"; readonly inFlight: number; readonly limit: number }
  | { readonly admit: false; readonly reason: "deadline-unreachable"; readonly inFlight: number; readonly expectedMs: number; readonly budgetMs: number };

/** Fewest (weighted) results before the service-rate estimate is trusted. */
const MIN_SERVED = 2;

/**
 * Admission of requests into a pipeline, pure (time is a parameter). It keeps the number of
 * requests in flight and an estimate of the pipeline's service time per request while busy (busy
 * time ÷ results, both exponentially weighted over busy time, so a lull keeps it), so the expected
 * latency of a request admitted now is `(inFlight + 1) × msPerRequest` (Little's law on the work
 * ahead of it). A request
 * is refused when the in-flight bound is reached, or when its expected latency exceeds
 * `budgetShare` of its remaining budget while others are in flight. With nothing in flight a
 * request is always admitted, so the estimate keeps learning even after a slow spell.
 */
export class AdmissionGate {
  private readonly windowMs: number;
  private readonly budgetShare: number;
  private active = 0;
  private lastMs: number | undefined;
  /** Exponentially weighted busy time (some request in flight), ms. */
  private busyMs = 0;
  /** Exponentially weighted count of results. */
  private served = 0;

  constructor(options: AdmissionOptions = {}) {
    this.windowMs = options.windowMs ?? 1000;
    this.budgetShare = options.budgetShare ?? 0.8;
  }

  /** Requests admitted and not finished. */
  get inFlight(): number {
    return this.active;
  }

  /** Service time per request while busy, ms (undefined until enough results were seen). */
  msPerRequest(): number | undefined {
    return this.served >= MIN_SERVED ? this.busyMs / this.served : undefined;
  }

  /** Expected latency of a request admitted now, ms (undefined while unknown). */
  expectedLatencyMs(): number | undefined {
    const per = this.msPerRequest();
    return per === undefined ? undefined : (this.active + 1) * per;
  }

  /**
   * Whether a request with `deadlineMs` may enter at `nowMs`, given at most `maxInFlight` in flight.
   * Changes nothing: call {@link admit} for an admitted request.
   */
  decide(nowMs: number, deadlineMs: number, maxInFlight: number): AdmissionDecision {
    if (this.active >= maxInFlight) return { admit: false, reason: "in-flight-limit", inFlight: this.active, limit: maxInFlight };
    const expectedMs = this.expectedLatencyMs();
    const budgetMs = deadlineMs - nowMs;
    if (this.active > 0 && expectedMs !== undefined && expectedMs > this.budgetShare * budgetMs) {
      return { admit: false, reason: "deadline-unreachable", inFlight: this.active, expectedMs, budgetMs };
    }
    return { admit: true, inFlight: this.active, expectedMs };
  }

  /** Counts an admitted request in flight from `nowMs`. */
  admit(nowMs: number): void {
    this.advance(nowMs);
    this.active += 1;
  }

  /**
   * Ends an admitted request at `nowMs`. `served`: it got a result from the pipeline (an error
   * says nothing about how fast the pipeline serves, and must not make it look faster).
   */
  finish(nowMs: number, served: boolean): void {
    this.advance(nowMs);
    this.active = Math.max(0, this.active - 1);
    if (served) this.served += 1;
  }

  /**
   * Decays the estimates over the busy time since the last event, adding it. Idle time teaches
   * nothing about the service time, so it decays nothing: a gate that forgot during a lull (both
   * sums decayed by wall time, `served` fell below {@link MIN_SERVED} within seconds) admitted the
   * first burst after it blindly, up to the in-flight limit, and the stage then dropped most of it
   * after queueing (44 requests answered after 220–365 ms at the start of the overload benchmark's
   * 10× phase, which follows a pause).
   */
  private advance(nowMs: number): void {
    const dt = this.lastMs === undefined ? 0 : Math.max(0, nowMs - this.lastMs);
    this.lastMs = this.lastMs === undefined ? nowMs : Math.max(this.lastMs, nowMs);
    if (dt === 0 || this.active === 0) return;
    const keep = Math.exp(-dt / this.windowMs);
    // Exact exponential weighting of the busy indicator over the interval (busy throughout it).
    this.busyMs = this.busyMs * keep + this.windowMs * (1 - keep);
    this.served *= keep;
  }
}
