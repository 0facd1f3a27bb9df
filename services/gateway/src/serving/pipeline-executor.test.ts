import { status } from "@grpc/grpc-js";
import { inference } from "@fulcrum/proto";
import { describe, expect, it } from "vitest";
import { gatewayPipelineSchema } from "../config.js";
import { Router } from "@fulcrum/core/routing";
import type { StageCallOutcome, StageCaller } from "../transport/stage-clients.js";
import { PipelineExecutor, replicaFailed, type RequestObserver } from "./pipeline-executor.js";

/** A scripted data plane: answers by address, records what each stage received. */
class ScriptedCaller implements StageCaller {
  readonly calls: Array<{ address: string; request: inference.ModelInferRequest; deadlineMs: number }> = [];
  constructor(private readonly answer: (address: string, req: inference.ModelInferRequest) => StageCallOutcome) {}
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

function setup(answer: (address: string, req: inference.ModelInferRequest) => StageCallOutcome, now = 1000) {
  const router = new Router({ staleMs: 1e9, ejectMs: 1e9 });
  for (const [stage, instance] of [["det", "d0"], ["det", "d1"], ["cls", "c0"]] as const) {
    router.upsertReplica("p", { instance, stage, address: `${instance}:1`, variant: `${stage}-v`, state: "ready", heartbeatMs: 0 });
  }
  const fates: string[] = [];
  const observer: RequestObserver = { arrived: () => {}, finished: (_p, e) => void fates.push(e.fate), retried: () => {}, fellBack: () => {} };
  const caller = new ScriptedCaller(answer);
  const executor = new PipelineExecutor({ router, caller, clock: () => now, maxAttempts: 3, callGraceMs: 50, observer });
  const pipeline = gatewayPipelineSchema.parse({ name: "p", sloMs: 300, stages: [{ name: "det" }, { name: "cls", feed: { boxes: "image" } }], accuracies: { "det-v": 0.5, "cls-v": 0.8 } });
  const req = inference.ModelInferRequest.fromPartial({ modelName: "p", id: "r", inputs: [{ name: "input", datatype: "FP32", shape: [1, 2] }], rawInputContents: [Buffer.alloc(8)] });
  return { executor, caller, pipeline, req, fates };
}

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
