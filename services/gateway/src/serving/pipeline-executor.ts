import { status } from "@grpc/grpc-js";
import { FulcrumError } from "@fulcrum/core";
import { inference } from "@fulcrum/proto";
import { grpcStatusOf, oipParam, readFulcrumParams, type Logger } from "@fulcrum/runtime";
import type { GatewayPipeline } from "../config.js";
import { answeredFate, fateOfTransportClose, transitToleranceMs, type RequestFate } from "@fulcrum/core/accounting";
import { callDeadlineMs, requestDeadline } from "@fulcrum/core/deadline";
import { pipelineAccuracy } from "@fulcrum/core/metrics";
import { OIP_PARAM } from "@fulcrum/core/oip";
import type { Router } from "@fulcrum/core/routing";
import { DeadlinePassedError, NoReplicaError, OverloadedError, StageCallError, StageWiringError } from "../errors.js";
import { fateOfStatus, kindOfStatus } from "../transport/codec.js";
import type { RequestIntake } from "../transport/front-door.js";
import type { StageCaller } from "../transport/stage-clients.js";
import type { AdmissionTicket, PipelineAdmission } from "./admission.js";

/** How one request ended, as its client saw it. */
export interface FinishedEvent {
  readonly fate: RequestFate;
  /** Arrival → answer (or → the client going away), ms. */
  readonly latencyMs: number;
  readonly accuracy?: number;
  /** gRPC status of an error answer. */
  readonly code?: number;
}

/** What the executor reports about every request (the metrics sink). Each arrival gets exactly one `finished`. */
export interface RequestObserver {
  arrived(pipeline: string, budgetMs: number): void;
  finished(pipeline: string, e: FinishedEvent): void;
  /** A request refused at admission, and why. */
  shed?(pipeline: string, reason: OverloadedError["reason"]): void;
  retried(pipeline: string, stage: string, instance: string, details: string): void;
  fellBack(pipeline: string, stage: string, wanted: string | undefined): void;
}

/** Options of {@link PipelineExecutor}. */
export interface PipelineExecutorOptions {
  readonly router: Router;
  readonly caller: StageCaller;
  /** Unix ms clock. */
  readonly clock: () => number;
  readonly maxAttempts: number;
  readonly callGraceMs: number;
  readonly observer: RequestObserver;
  /** Admission control; without it every request is admitted. */
  readonly admission?: PipelineAdmission;
  /**
   * Least time the client's own timer may fire before the gateway's copy of the client's deadline
   * (the request's transit time; a tenth of the client's budget when more), ms; see
   * `transitToleranceMs`. @default 50
   */
  readonly clientDeadlineToleranceMs?: number;
  readonly logger?: Logger;
}

/** One stage's answer inside a pipeline run. */
interface StageAnswer {
  readonly response: inference.ModelInferResponse;
  readonly variant: string;
}

/**
 * Runs a request through a pipeline's stages in order: fixes its deadline from its arrival (and
 * the client's own deadline when earlier), admits it or refuses it at once, calls each stage on a
 * replica the router picks (retrying other replicas when one fails before answering), feeds each
 * stage's outputs to the next one's inputs, and reports the fate of every request to the observer
 * exactly once, as the client sees it. It either returns a response or throws a typed error;
 * nothing is dropped silently.
 */
export class PipelineExecutor {
  constructor(private readonly o: PipelineExecutorOptions) {}

  /** Reports an arrival refused before any work (the gateway not ready, a bad request): counted `rejected` with `err`'s status. */
  refuse(pipeline: string, err: FulcrumError, intake?: RequestIntake): never {
    const arrival = intake?.arrivalMs ?? this.o.clock();
    this.o.observer.arrived(pipeline, 0);
    this.o.observer.finished(pipeline, { fate: "rejected", latencyMs: this.o.clock() - arrival, code: grpcStatusOf(err.kind) });
    throw err;
  }

  async infer(pipeline: GatewayPipeline, req: inference.ModelInferRequest, intake?: RequestIntake): Promise<inference.ModelInferResponse> {
    const arrival = intake?.arrivalMs ?? this.o.clock();
    const clientDeadline = intake?.clientDeadlineMs;
    let deadline: number;
    let requestId: string;
    try {
      const params = readFulcrumParams(req.parameters);
      requestId = params.requestId ?? req.id;
      deadline = requestDeadline(arrival, params, pipeline.sloMs, clientDeadline);
    } catch (err) {
      if (err instanceof FulcrumError) this.refuse(pipeline.name, err, intake);
      throw err;
    }
    this.o.observer.arrived(pipeline.name, deadline - arrival);
    let settled = false;
    const settle = (e: FinishedEvent): void => {
      if (settled) return;
      settled = true;
      this.o.observer.finished(pipeline.name, e);
    };
    // A client that went away saw an error, whatever the pipeline answers later.
    intake?.onAbandoned((closedMs) => {
      const f = fateOfTransportClose(closedMs, clientDeadline, transitToleranceMs(arrival, clientDeadline, this.o.clientDeadlineToleranceMs ?? 50));
      settle({ fate: f.fate, latencyMs: closedMs - arrival, code: status[f.code] });
    });
    let ticket: AdmissionTicket | undefined;
    let served = false;
    try {
      const now = this.o.clock();
      if (now > deadline) throw new DeadlinePassedError(pipeline.name, now - deadline, "arrival");
      try {
        ticket = this.o.admission?.admit(pipeline, now, deadline);
      } catch (err) {
        if (err instanceof OverloadedError) this.o.observer.shed?.(pipeline.name, err.reason);
        throw err;
      }
      // Nobody listens after the client's own deadline: no stage call waits past it.
      const giveUpMs = Math.min(callDeadlineMs(deadline, this.o.callGraceMs), clientDeadline ?? Infinity);
      const answers: StageAnswer[] = [];
      let inputs = req.inputs;
      let raw = req.rawInputContents;
      for (let i = 0; i < pipeline.stages.length; i++) {
        const stage = pipeline.stages[i]!;
        const last = i === pipeline.stages.length - 1;
        if (i > 0) ({ inputs, raw } = feedNext(pipeline.name, pipeline.stages[i - 1]!.name, stage, answers[i - 1]!.response));
        const stageReq = inference.ModelInferRequest.fromPartial({
          modelName: stage.name,
          id: req.id,
          inputs,
          rawInputContents: raw,
          outputs: last ? req.outputs : [],
          parameters: { [OIP_PARAM.requestId]: oipParam.str(requestId), [OIP_PARAM.deadlineUnixMs]: oipParam.int(deadline) },
        });
        answers.push(await this.callStage(pipeline.name, stage.name, stageReq, deadline, giveUpMs));
      }
      served = true;
      const finished = this.o.clock();
      const variants = answers.map((a) => a.variant);
      const accuracy = pipelineAccuracy(variants, pipeline.accuracies);
      settle({ fate: answeredFate(finished, deadline), latencyMs: finished - arrival, ...(accuracy !== undefined ? { accuracy } : {}) });
      const out = answers[answers.length - 1]!.response;
      return {
        modelName: pipeline.name,
        modelVersion: "",
        id: req.id,
        outputs: out.outputs,
        rawOutputContents: out.rawOutputContents,
        parameters: {
          [OIP_PARAM.variant]: oipParam.str(pipeline.stages.map((s, i) => `${s.name}=${variants[i]}`).join(",")),
          [OIP_PARAM.latencyMs]: oipParam.double(finished - arrival),
          [OIP_PARAM.requestId]: oipParam.str(requestId),
          ...(accuracy !== undefined ? { [OIP_PARAM.accuracy]: oipParam.double(accuracy) } : {}),
        },
      };
    } catch (err) {
      const code = err instanceof FulcrumError ? grpcStatusOf(err.kind) : status.INTERNAL;
      settle({ fate: fateOfStatus(code), latencyMs: this.o.clock() - arrival, code });
      throw err;
    } finally {
      ticket?.end(this.o.clock(), served);
    }
  }

  private async callStage(pipeline: string, stage: string, req: inference.ModelInferRequest, deadline: number, giveUpMs: number): Promise<StageAnswer> {
    const tried: string[] = [];
    const exclude = new Set<string>();
    for (let attempt = 0; attempt < this.o.maxAttempts; attempt++) {
      const now = this.o.clock();
      if (now > deadline) throw new DeadlinePassedError(pipeline, now - deadline, stage);
      const route = this.o.router.route(pipeline, stage, now, exclude);
      if (!route) throw new NoReplicaError(pipeline, stage, tried);
      if (!route.matched && route.wantedVariant === undefined && this.o.router.assignment(pipeline)) this.o.observer.fellBack(pipeline, stage, undefined);
      const r = route.replica;
      this.o.router.begin(r.instance);
      let outcome;
      try {
        outcome = await this.o.caller.call(r.address, req, giveUpMs);
      } finally {
        this.o.router.end(r.instance);
      }
      if (outcome.ok) {
        const v = outcome.response.parameters[OIP_PARAM.variant]?.parameterChoice;
        return { response: outcome.response, variant: v?.$case === "stringParam" ? v.value : r.variant };
      }
      if (!replicaFailed(outcome)) throw new StageCallError(kindOfStatus(outcome.code), pipeline, stage, r.instance, outcome.details);
      // The replica is gone, draining or unreachable: skip it for a while and try another one.
      this.o.router.eject(r.instance, this.o.clock());
      exclude.add(r.instance);
      tried.push(r.instance);
      this.o.observer.retried(pipeline, stage, r.instance, outcome.details);
    }
    throw new NoReplicaError(pipeline, stage, tried);
  }
}

/**
 * Whether a failed call says the replica failed rather than the request: UNAVAILABLE (refused,
 * draining, no model), or a transport failure that no stage answered (a reset or dropped
 * connection: INTERNAL, CANCELLED or UNKNOWN without a stage's error code). Such a call is retried
 * on another replica; inference is idempotent, so a retry cannot do harm.
 */
export function replicaFailed(o: { readonly code: number; readonly errorCode?: string }): boolean {
  if (o.code === status.UNAVAILABLE) return true;
  return o.errorCode === undefined && (o.code === status.INTERNAL || o.code === status.CANCELLED || o.code === status.UNKNOWN);
}

/** The next stage's inputs from the previous stage's outputs, renamed by the stage's `feed`. */
function feedNext(
  pipeline: string,
  prevStage: string,
  stage: GatewayPipeline["stages"][number],
  prev: inference.ModelInferResponse,
): { inputs: inference.ModelInferRequest_InferInputTensor[]; raw: Uint8Array[] } {
  const useRaw = prev.rawOutputContents.length === prev.outputs.length;
  const inputs: inference.ModelInferRequest_InferInputTensor[] = [];
  const raw: Uint8Array[] = [];
  prev.outputs.forEach((o, i) => {
    const to = stage.feed ? stage.feed[o.name] : o.name;
    if (to === undefined) return;
    inputs.push({ name: to, datatype: o.datatype, shape: o.shape, parameters: {}, contents: useRaw ? undefined : o.contents });
    if (useRaw) raw.push(prev.rawOutputContents[i]!);
  });
  if (stage.feed) {
    const missing = Object.keys(stage.feed).filter((k) => !prev.outputs.some((o) => o.name === k));
    if (missing.length > 0) throw new StageWiringError(pipeline, stage.name, `feed names output(s) ${missing.join(", ")} that stage "${prevStage}" did not return (it returned ${prev.outputs.map((o) => o.name).join(", ")})`);
  }
  if (inputs.length === 0) throw new StageWiringError(pipeline, stage.name, `no output of stage "${prevStage}" feeds it`);
  return { inputs, raw };
}
