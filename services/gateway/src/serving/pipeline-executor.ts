import { status } from "@grpc/grpc-js";
import { FulcrumError } from "@fulcrum/core";
import { inference } from "@fulcrum/proto";
import { grpcStatusOf, oipParam, readFulcrumParams, type Logger } from "@fulcrum/runtime";
import type { GatewayPipeline } from "../config.js";
import { answeredFate, type RequestFate } from "@fulcrum/core/accounting";
import { callDeadlineMs, requestDeadline } from "@fulcrum/core/deadline";
import { pipelineAccuracy } from "@fulcrum/core/metrics";
import { OIP_PARAM } from "@fulcrum/core/oip";
import type { Router } from "@fulcrum/core/routing";
import { DeadlinePassedError, NoReplicaError, StageCallError, StageWiringError } from "../errors.js";
import { fateOfStatus, kindOfStatus } from "../transport/codec.js";
import type { StageCaller } from "../transport/stage-clients.js";

/** What the executor reports about every request it finishes (the metrics sink). */
export interface RequestObserver {
  arrived(pipeline: string, budgetMs: number): void;
  finished(pipeline: string, e: { fate: RequestFate; latencyMs: number; accuracy?: number; code?: number }): void;
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
  readonly logger?: Logger;
}

/** One stage's answer inside a pipeline run. */
interface StageAnswer {
  readonly response: inference.ModelInferResponse;
  readonly variant: string;
}

/**
 * Runs a request through a pipeline's stages in order: stamps its deadline, calls each stage on a
 * replica the router picks (retrying other replicas on UNAVAILABLE), feeds each stage's outputs to
 * the next one's inputs, and reports the fate of every request to the observer. It either returns
 * a response or throws a typed error; nothing is dropped silently.
 */
export class PipelineExecutor {
  constructor(private readonly o: PipelineExecutorOptions) {}

  async infer(pipeline: GatewayPipeline, req: inference.ModelInferRequest): Promise<inference.ModelInferResponse> {
    const arrival = this.o.clock();
    let deadline: number;
    let requestId: string;
    try {
      const params = readFulcrumParams(req.parameters);
      requestId = params.requestId ?? req.id;
      deadline = requestDeadline(arrival, params, pipeline.sloMs);
    } catch (err) {
      this.o.observer.arrived(pipeline.name, 0);
      this.o.observer.finished(pipeline.name, { fate: "rejected", latencyMs: this.o.clock() - arrival, code: status.INVALID_ARGUMENT });
      throw err;
    }
    this.o.observer.arrived(pipeline.name, deadline - arrival);
    try {
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
        answers.push(await this.callStage(pipeline.name, stage.name, stageReq, deadline));
      }
      const finished = this.o.clock();
      const variants = answers.map((a) => a.variant);
      const accuracy = pipelineAccuracy(variants, pipeline.accuracies);
      this.o.observer.finished(pipeline.name, { fate: answeredFate(finished, deadline), latencyMs: finished - arrival, ...(accuracy !== undefined ? { accuracy } : {}) });
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
      this.o.observer.finished(pipeline.name, { fate: fateOfStatus(code), latencyMs: this.o.clock() - arrival, code });
      throw err;
    }
  }

  private async callStage(pipeline: string, stage: string, req: inference.ModelInferRequest, deadline: number): Promise<StageAnswer> {
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
        outcome = await this.o.caller.call(r.address, req, callDeadlineMs(deadline, this.o.callGraceMs));
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
