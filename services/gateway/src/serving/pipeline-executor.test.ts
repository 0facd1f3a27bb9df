import { status } from "@grpc/grpc-js";
import { inference } from "@fulcrum/proto";
import { describe, expect, it } from "vitest";
import { gatewayPipelineSchema } from "../config.js";
import { Router } from "@fulcrum/core/routing";
import type { RequestIntake } from "../transport/front-door.js";
import type { StageCallOutcome, StageCaller } from "../transport/stage-clients.js";
import { PipelineAdmission } from "./admission.js";
import { PipelineExecutor, replicaFailed, type FinishedEvent, type RequestObserver } from "./pipeline-executor.js";

/** A scripted data plane: answers by address, records what each stage received. */
class ScriptedCaller implements StageCaller {
  readonly calls: Array<{ address: string; request: inference.ModelInferRequest; deadlineMs: number }> = [];
  constructor(private readonly answer: (address: string, req: inference.ModelInferRequest) => StageCallOutcome | Promise<StageCallOutcome>) {}
  async call(address: string, request: inference.ModelInferRequest, deadlineMs: number): Promise<StageCallOutcome> {
    this.calls.push({ address, request, deadlineMs });
    return this.answer(address, request);
  }
}

const out = (name: string, variant: string, values: number[]): StageCallOutcome => ({
  ok: true,
  response: inference.ModelInferResponse.fromPartial({
    outputs: [{ name, datatype: "FP32", shape: [1, values.length] }, { name: "extra", datatype: "FP32", shape: [1] }],
    rawOutputContents: [Buffer.from(new Float32Array(values).buffer), Buffer.from(new Float32Array([9]).buffer)],
    parameters: { variant: { parameterChoice: { $case: "stringParam", value: variant } } },
  }),
});

function setup(answer: (address: string, req: inference.ModelInferRequest) => StageCallOutcome | Promise<StageCallOutcome>, now = 1000, admission?: (router: Router) => PipelineAdmission) {
  const router = new Router({ staleMs: 1e9, ejectMs: 1e9 });
  for (const [stage, instance] of [["det", "d0"], ["det", "d1"], ["cls", "c0"]] as const) {
    router.upsertReplica("p", { instance, stage, address: `${instance}:1`, variant: `${stage}-v`, state: "ready", heartbeatMs: 0 });
  }
  const fates: string[] = [];
  const events: FinishedEvent[] = [];
  const budgets: number[] = [];
  const shed: string[] = [];
  const observer: RequestObserver = {
    arrived: (_p, b) => void budgets.push(b),
    finished: (_p, e) => {
      fates.push(e.fate);
      events.push(e);
    },
    shed: (_p, reason) => void shed.push(reason),
    retried: () => {},
    fellBack: () => {},
  };
  const caller = new ScriptedCaller(answer);
  const clock = { now };
  const executor = new PipelineExecutor({ router, caller, clock: () => clock.now, maxAttempts: 3, callGraceMs: 50, observer, clientDeadlineToleranceMs: 10, ...(admission ? { admission: admission(router) } : {}) });
  const pipeline = gatewayPipelineSchema.parse({ name: "p", sloMs: 300, stages: [{ name: "det" }, { name: "cls", feed: { boxes: "image" } }], accuracies: { "det-v": 0.5, "cls-v": 0.8 } });
  const req = inference.ModelInferRequest.fromPartial({ modelName: "p", id: "r", inputs: [{ name: "input", datatype: "FP32", shape: [1, 2] }], rawInputContents: [Buffer.alloc(8)] });
  return { executor, caller, pipeline, req, fates, events, budgets, shed, clock };
}

/** An intake as the gRPC interceptor makes it, with a client that can go away on cue. */
function intake(arrivalMs: number, clientDeadlineMs?: number): RequestIntake & { goAway(atMs: number): void } {
  let listener: ((ms: number) => void) | undefined;
  return {
    arrivalMs,
    clientDeadlineMs,
    onAbandoned: (l) => void (listener = l),
    goAway: (atMs) => listener?.(atMs),
  };
}

/** A promise settled from outside. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const oneStage = (answer: () => StageCallOutcome | Promise<StageCallOutcome>, now: number, admission?: (router: Router) => PipelineAdmission) => {
  const s = setup(answer, now, admission);
  return { ...s, pipeline: gatewayPipelineSchema.parse({ name: "p", sloMs: 300, stages: [{ name: "cls" }] }) };
};

describe("PipelineExecutor", () => {
  it("feeds the renamed output of one stage to the next and stamps the remaining deadline on each call", async () => {
    const { executor, caller, pipeline, req, fates } = setup((a) => (a.startsWith("c0") ? out("logits", "cls-v", [0.1, 0.9]) : out("boxes", "det-v", [1, 2, 3])));
    const res = await executor.infer(pipeline, req);
    expect(caller.calls.map((c) => c.request.modelName)).toEqual(["det", "cls"]);
    const second = caller.calls[1]!.request;
    expect(second.inputs).toEqual([expect.objectContaining({ name: "image", shape: [1, 3] })]);
    expect([...new Float32Array(new Uint8Array(second.rawInputContents[0]!).buffer)]).toEqual([1, 2, 3]);
    expect(caller.calls.every((c) => c.request.parameters.deadline_unix_ms?.parameterChoice?.value === 1300 && c.deadlineMs === 1350)).toBe(true);
    expect(res.parameters.variant?.parameterChoice?.value).toBe("det=det-v,cls=cls-v");
    expect(res.parameters.accuracy?.parameterChoice?.value).toBeCloseTo(0.4, 12);
    expect(res.outputs.map((o) => o.name)).toEqual(["logits", "extra"]);
    expect(fates).toEqual(["in-time"]);
  });

  it("retries another replica on UNAVAILABLE but passes DEADLINE_EXCEEDED on without retrying", async () => {
    const s1 = setup((a) => (a === "d0:1" ? { ok: false, code: status.UNAVAILABLE, details: "gone" } : a.startsWith("c0") ? out("logits", "cls-v", [1]) : out("boxes", "det-v", [1])));
    await s1.executor.infer(s1.pipeline, s1.req);
    await s1.executor.infer(s1.pipeline, s1.req);
    expect(s1.caller.calls.filter((c) => c.address === "d0:1")).toHaveLength(1);
    expect(s1.fates).toEqual(["in-time", "in-time"]);

    const s2 = setup(() => ({ ok: false, code: status.DEADLINE_EXCEEDED, details: "dropped early" }));
    await expect(s2.executor.infer(s2.pipeline, s2.req)).rejects.toMatchObject({ kind: "deadline-exceeded", message: 'stage "det" (replica d0): dropped early' });
    expect(s2.caller.calls).toHaveLength(1);
    expect(s2.fates).toEqual(["rejected"]);
  });

  it("fails with a wiring error when the feed names an output the previous stage did not return", async () => {
    const s = setup((a) => (a.startsWith("c0") ? out("logits", "cls-v", [1]) : out("scores", "det-v", [1])));
    await expect(s.executor.infer(s.pipeline, s.req)).rejects.toThrow('pipeline "p", stage "cls": feed names output(s) boxes that stage "det" did not return (it returned scores, extra)');
    expect(s.fates).toEqual(["failed"]);
  });
});

describe("PipelineExecutor at the front door", () => {
  it("counts the deadline and the latency from the arrival the intake stamped, not from when the handler ran", async () => {
    const s = oneStage(() => out("logits", "cls-v", [1]), 1000);
    const res = await s.executor.infer(s.pipeline, s.req, intake(800));
    expect(s.caller.calls[0]!.request.parameters.deadline_unix_ms?.parameterChoice?.value).toBe(1100);
    expect(s.budgets).toEqual([300]);
    expect(res.parameters.latency_ms?.parameterChoice?.value).toBe(200);
    expect(s.events).toEqual([{ fate: "in-time", latencyMs: 200 }]);
    // Arrived 400 ms ago with a 300 ms SLO: refused at once, never sent to a stage.
    await expect(s.executor.infer(s.pipeline, s.req, intake(600))).rejects.toMatchObject({ code: "DEADLINE_PASSED", message: 'pipeline "p": deadline passed 100.0 ms ago at arrival' });
    expect(s.caller.calls).toHaveLength(1);
    expect(s.events[1]).toEqual({ fate: "rejected", latencyMs: 400, code: status.DEADLINE_EXCEEDED });
  });

  it("honours the client's earlier gRPC deadline, and no stage call waits past it", async () => {
    const s = oneStage(() => out("logits", "cls-v", [1]), 1000);
    await s.executor.infer(s.pipeline, s.req, intake(1000, 1120));
    expect(s.caller.calls[0]!.request.parameters.deadline_unix_ms?.parameterChoice?.value).toBe(1120);
    expect(s.caller.calls[0]!.deadlineMs).toBe(1120);
    expect(s.budgets).toEqual([120]);
    // A later client deadline changes nothing: the SLO binds, and the call may wait the grace.
    await s.executor.infer(s.pipeline, s.req, intake(1000, 5000));
    expect(s.caller.calls[1]!.deadlineMs).toBe(1350);
  });

  it("counts a client that went away once, as the client saw it, whatever the pipeline answers later", async () => {
    const stage = deferred<StageCallOutcome>();
    const s = oneStage(() => stage.promise, 1000);
    const cancelled = intake(1000, 2000);
    const run = s.executor.infer(s.pipeline, s.req, cancelled);
    await Promise.resolve();
    cancelled.goAway(1150);
    expect(s.events).toEqual([{ fate: "failed", latencyMs: 150, code: status.CANCELLED }]);
    stage.resolve(out("logits", "cls-v", [1]));
    await run;
    expect(s.fates).toEqual(["failed"]);

    const late = deferred<StageCallOutcome>();
    const t = oneStage(() => late.promise, 1000);
    const timedOut = intake(1000, 1200);
    const run2 = t.executor.infer(t.pipeline, t.req, timedOut);
    await Promise.resolve();
    // Within the transit tolerance (10 ms) of the client's deadline: its library said DEADLINE_EXCEEDED.
    timedOut.goAway(1195);
    late.resolve({ ok: false, code: status.DEADLINE_EXCEEDED, details: "dropped early" });
    await expect(run2).rejects.toMatchObject({ kind: "deadline-exceeded" });
    expect(t.events).toEqual([{ fate: "rejected", latencyMs: 195, code: status.DEADLINE_EXCEEDED }]);
  });

  it("refuses at the in-flight limit at once with RESOURCE_EXHAUSTED, counted rejected and shed", async () => {
    const stage = deferred<StageCallOutcome>();
    const s = oneStage(() => stage.promise, 1000, (router) => new PipelineAdmission({ router, maxInFlight: 1, maxInFlightPerReplica: 64, budgetShare: 0.8, windowMs: 1000 }));
    const first = s.executor.infer(s.pipeline, s.req, intake(1000));
    await expect(s.executor.infer(s.pipeline, s.req, intake(1000))).rejects.toMatchObject({
      kind: "resource-exhausted",
      code: "GATEWAY_OVERLOADED",
      message: 'pipeline "p": 1 requests in flight, the limit (retry later)',
    });
    expect(s.caller.calls).toHaveLength(1);
    expect(s.events).toEqual([{ fate: "rejected", latencyMs: 0, code: status.RESOURCE_EXHAUSTED }]);
    expect(s.shed).toEqual(["in-flight-limit"]);
    stage.resolve(out("logits", "cls-v", [1]));
    await first;
    // The slot is free again.
    await s.executor.infer(s.pipeline, s.req, intake(1000));
    expect(s.fates).toEqual(["rejected", "in-time", "in-time"]);
  });
});

describe("replicaFailed", () => {
  it.each([
    [{ code: status.UNAVAILABLE }, true],
    [{ code: status.UNAVAILABLE, errorCode: "STAGE_UNAVAILABLE" }, true],
    [{ code: status.INTERNAL }, true],
    [{ code: status.CANCELLED }, true],
    [{ code: status.INTERNAL, errorCode: "INFERENCE_FAILED" }, false],
    [{ code: status.DEADLINE_EXCEEDED, errorCode: "DEADLINE_UNMEETABLE" }, false],
    [{ code: status.RESOURCE_EXHAUSTED, errorCode: "QUEUE_FULL" }, false],
    [{ code: status.INVALID_ARGUMENT, errorCode: "INVALID_ARGUMENT" }, false],
  ])("%o → %s", (o, retry) => {
    expect(replicaFailed(o)).toBe(retry);
  });
});
