import { AdmissionGate } from "@fulcrum/core/deadline";
import type { Router } from "@fulcrum/core/routing";
import type { GatewayPipeline } from "../config.js";
import { OverloadedError } from "../errors.js";

/** Options of {@link PipelineAdmission}. */
export interface PipelineAdmissionOptions {
  readonly router: Router;
  /** Fixed in-flight limit per pipeline; 0 derives it from the live replicas. */
  readonly maxInFlight: number;
  /** In-flight requests allowed per live replica of the pipeline's narrowest stage (when `maxInFlight` is 0). */
  readonly maxInFlightPerReplica: number;
  /** Share of a request's remaining budget its expected latency may take (see `AdmissionGate`). */
  readonly budgetShare: number;
  /** Time constant of the service-rate estimate, ms. */
  readonly windowMs: number;
}

/** An admitted request: end it exactly once. */
export interface AdmissionTicket {
  /** `served`: the pipeline answered with a result. */
  end(nowMs: number, served: boolean): void;
}

/**
 * The gateway's admission of requests into each pipeline (one `AdmissionGate` per pipeline). The
 * in-flight limit is `maxInFlight` when set, else `maxInFlightPerReplica` × the live replicas of
 * the stage that has the fewest (at least one), so it follows the replicas as they come and go.
 */
export class PipelineAdmission {
  private readonly gates = new Map<string, AdmissionGate>();

  constructor(private readonly o: PipelineAdmissionOptions) {}

  private gate(pipeline: string): AdmissionGate {
    let g = this.gates.get(pipeline);
    if (!g) this.gates.set(pipeline, (g = new AdmissionGate({ windowMs: this.o.windowMs, budgetShare: this.o.budgetShare })));
    return g;
  }

  /** The in-flight limit of `pipeline` at `nowMs`. */
  limit(pipeline: GatewayPipeline, nowMs: number): number {
    if (this.o.maxInFlight > 0) return this.o.maxInFlight;
    let narrowest = Infinity;
    for (const s of pipeline.stages) narrowest = Math.min(narrowest, this.o.router.liveReplicas(pipeline.name, s.name, nowMs).length);
    return this.o.maxInFlightPerReplica * Math.max(1, narrowest);
  }

  /** Requests of `pipeline` in flight now. */
  inFlight(pipeline: string): number {
    return this.gates.get(pipeline)?.inFlight ?? 0;
  }

  /** Expected latency of a request of `pipeline` admitted now, ms (undefined while unknown). */
  expectedLatencyMs(pipeline: string): number | undefined {
    return this.gates.get(pipeline)?.expectedLatencyMs();
  }

  /** Admits a request with `deadlineMs` arriving at `nowMs`, or throws {@link OverloadedError} saying why not. */
  admit(pipeline: GatewayPipeline, nowMs: number, deadlineMs: number): AdmissionTicket {
    const gate = this.gate(pipeline.name);
    const d = gate.decide(nowMs, deadlineMs, this.limit(pipeline, nowMs));
    if (!d.admit) {
      throw new OverloadedError(
        pipeline.name,
        d.reason,
        d.reason === "in-flight-limit"
          ? `${d.inFlight} requests in flight, the limit (retry later)`
          : `${d.inFlight} requests in flight ahead of this one: expected to finish in ${d.expectedMs.toFixed(0)} ms, its budget is ${d.budgetMs.toFixed(0)} ms (retry later or allow more time)`,
      );
    }
    gate.admit(nowMs);
    let ended = false;
    return {
      end(endMs, served) {
        if (ended) return;
        ended = true;
        gate.finish(endMs, served);
      },
    };
  }
}
