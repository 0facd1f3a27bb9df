import { status } from "@grpc/grpc-js";
import { health, type inference } from "@fulcrum/proto";
import { oipParam as param } from "@fulcrum/runtime";
import { Checks, fail } from "../checks.js";
import { CONTRACT } from "../contract.js";
import { describeOutcome, type CallOutcome } from "../oip-probe.js";
import { elements, OIP_DTYPE_BYTES, unbuildable, validRequest } from "../tensors.js";
import type { Clause, KitContext } from "../types.js";

let seq = 0;
/** A request id unique within this run. */
export function nextId(tag: string): string {
  return `conformance-${tag}-${++seq}`;
}

/** The stage serves `grpc.health.v1.Health` and reports the whole server SERVING. */
export const healthClause: Clause = {
  id: "health",
  title: "grpc.health.v1 Check(\"\") is SERVING",
  needs: ["entry"],
  async run(ctx) {
    const r = await ctx.oip!.healthCheck("");
    if (!r.ok) return fail(`Check failed: ${describeOutcome(r)}`);
    const name = health.healthCheckResponse_ServingStatusToJSON(r.response.status);
    return r.response.status === health.HealthCheckResponse_ServingStatus.SERVING ? { status: "pass", detail: name } : fail(`status ${name}, expected SERVING`);
  },
};

/** ServerLive, ServerReady, ModelReady, ServerMetadata and ModelMetadata answer as the contract says. */
export const oipMetadata: Clause = {
  id: "oip.metadata",
  title: "OIP ServerLive/ServerReady/ModelReady/ServerMetadata/ModelMetadata",
  needs: ["entry"],
  async run(ctx) {
    const oip = ctx.oip!;
    const stage = ctx.target.stage;
    const c = new Checks();
    const live = await oip.serverLive();
    c.expect(live.ok && live.response.live, `ServerLive: ${live.ok ? `live = ${live.response.live}` : describeOutcome(live)}`);
    const ready = await oip.serverReady();
    c.expect(ready.ok && ready.response.ready, `ServerReady: ${ready.ok ? `ready = ${ready.response.ready}` : describeOutcome(ready)}`);
    const modelReady = await oip.modelReady(stage);
    c.expect(modelReady.ok && modelReady.response.ready, `ModelReady("${stage}"): ${modelReady.ok ? `ready = ${modelReady.response.ready}` : describeOutcome(modelReady)}`);
    const server = await oip.serverMetadata();
    c.expect(server.ok && server.response.name !== "", `ServerMetadata: ${server.ok ? "empty name" : describeOutcome(server)}`);
    const unknown = await oip.modelMetadata(`${stage}-conformance-unknown`);
    c.expect(!unknown.ok && unknown.code === status.NOT_FOUND, `ModelMetadata of an unknown model: ${describeOutcome(unknown)}, expected NOT_FOUND`);
    const meta = await oip.modelMetadata(stage);
    if (!meta.ok) {
      c.expect(false, `ModelMetadata("${stage}"): ${describeOutcome(meta)}`);
      return c.verdict("");
    }
    const m = meta.response;
    c.expect(m.name === stage, `ModelMetadata name "${m.name}", expected the stage name "${stage}"`);
    c.expect(m.outputs.length > 0, "ModelMetadata lists no outputs");
    for (const t of [...m.inputs, ...m.outputs]) {
      c.expect(t.datatype in OIP_DTYPE_BYTES || t.datatype === "BYTES", `tensor "${t.name}" has unknown datatype "${t.datatype}"`);
      c.expect(t.shape.length > 0 && t.shape.every((d) => d === -1 || d >= 1), `tensor "${t.name}" has shape [${t.shape.join(",")}]: dims must be ≥ 1 or -1`);
    }
    const why = unbuildable(m);
    c.expect(why === undefined, why ?? "");
    if (!c.failed) ctx.model = m;
    const sig = (ts: inference.ModelMetadataResponse_TensorMetadata[]): string => ts.map((t) => `${t.name}:${t.datatype}[${t.shape.join(",")}]`).join(", ");
    return c.verdict(`server "${server.ok ? server.response.name : "?"}", inputs ${sig(m.inputs)} → outputs ${sig(m.outputs)}`);
  },
};

/** Checks a successful response against the model's declared outputs for `rows` rows. */
function checkOutputs(c: Checks, ctx: KitContext, res: inference.ModelInferResponse, rows: number, requested: readonly string[]): void {
  const m = ctx.model!;
  const expected = requested.length > 0 ? m.outputs.filter((o) => requested.includes(o.name)) : m.outputs;
  c.expect(res.modelName === ctx.target.stage, `response model_name "${res.modelName}", expected "${ctx.target.stage}"`);
  c.expect(
    res.outputs.length === expected.length && expected.every((e) => res.outputs.some((o) => o.name === e.name)),
    `response outputs [${res.outputs.map((o) => o.name).join(", ")}], expected [${expected.map((o) => o.name).join(", ")}]`,
  );
  const raw = res.rawOutputContents.length > 0;
  c.expect(!raw || res.rawOutputContents.length === res.outputs.length, `${res.rawOutputContents.length} raw_output_contents for ${res.outputs.length} outputs`);
  res.outputs.forEach((o, i) => {
    const decl = m.outputs.find((d) => d.name === o.name);
    if (!decl) return;
    c.expect(o.datatype === decl.datatype, `output "${o.name}" is ${o.datatype}, declared ${decl.datatype}`);
    const shapeOk = o.shape.length === decl.shape.length && o.shape[0] === rows && o.shape.every((d, k) => (decl.shape[k]! >= 0 ? d === decl.shape[k] : d >= 1));
    c.expect(shapeOk, `output "${o.name}" has shape [${o.shape.join(",")}] for ${rows} row(s), declared [${decl.shape.join(",")}]`);
    const size = OIP_DTYPE_BYTES[o.datatype];
    if (raw && size !== undefined && shapeOk) {
      const bytes = res.rawOutputContents[i]!.byteLength;
      c.expect(bytes === elements(o.shape) * size, `output "${o.name}" carries ${bytes} bytes, shape [${o.shape.join(",")}] of ${o.datatype} needs ${elements(o.shape) * size}`);
    }
  });
}

/** Valid requests (batch 1 with `slo_ms`, batch 2 with `deadline_unix_ms` asking for one output) are answered as declared. */
export const oipInfer: Clause = {
  id: "oip.infer",
  title: "ModelInfer answers valid requests (batch 1 and 2) with the declared outputs",
  needs: ["model"],
  async run(ctx) {
    const oip = ctx.oip!;
    const c = new Checks();
    const id1 = nextId("infer");
    const one = await oip.infer(validRequest(ctx.model!, 1, id1, { slo_ms: param.int(ctx.target.timeoutMs), request_id: param.str(id1) }));
    if (c.expect(one.ok, `batch-1 request: ${describeOutcome(one)}`) && one.ok) {
      c.expect(one.response.id === id1, `response id "${one.response.id}", expected the request's "${id1}"`);
      checkOutputs(c, ctx, one.response, 1, []);
    }
    const id2 = nextId("infer");
    const first = ctx.model!.outputs[0]!.name;
    const req2 = { ...validRequest(ctx.model!, 2, id2, { deadline_unix_ms: param.int(Math.round(ctx.now() + ctx.target.timeoutMs)), request_id: param.str(id2) }), outputs: [{ name: first, parameters: {} }] };
    const two = await oip.infer(req2);
    if (c.expect(two.ok, `batch-2 request: ${describeOutcome(two)}`) && two.ok) checkOutputs(c, ctx, two.response, 2, [first]);
    return c.verdict(`batch 1 in ${one.ms.toFixed(1)} ms, batch 2 in ${two.ms.toFixed(1)} ms`);
  },
};

/** Reads a response parameter if it has the contract's type. */
function typedParam(res: inference.ModelInferResponse, name: keyof typeof CONTRACT.responseParameters): string | number | undefined {
  const choice = res.parameters[name]?.parameterChoice;
  return choice?.$case === CONTRACT.responseParameters[name] ? (choice.value as string | number) : undefined;
}

/** Every answer carries `variant`, `queue_ms`, `stage_latency_ms`, `batch_size` with the contract's types and sane values. */
export const oipParameters: Clause = {
  id: "oip.parameters",
  title: "responses carry variant, queue_ms, stage_latency_ms, batch_size",
  needs: ["model"],
  async run(ctx) {
    const id = nextId("params");
    const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, id, { slo_ms: param.double(ctx.target.timeoutMs), request_id: param.str(id) }));
    if (!r.ok) return fail(`request failed: ${describeOutcome(r)}`);
    const c = new Checks();
    for (const [name, type] of Object.entries(CONTRACT.responseParameters)) {
      const got = r.response.parameters[name]?.parameterChoice;
      c.expect(got?.$case === type, `parameter ${name} is ${got ? `${got.$case} ${JSON.stringify(got.value)}` : "missing"}, expected ${type}`);
    }
    const variant = typedParam(r.response, "variant");
    const queueMs = typedParam(r.response, "queue_ms") as number | undefined;
    const latencyMs = typedParam(r.response, "stage_latency_ms") as number | undefined;
    const batch = typedParam(r.response, "batch_size") as number | undefined;
    if (variant !== undefined) c.expect(ctx.entry!.variants.includes(String(variant)), `variant "${variant}" is not among the registry's variants [${ctx.entry!.variants.join(", ")}]`);
    if (queueMs !== undefined && latencyMs !== undefined) {
      c.expect(Number.isFinite(queueMs) && queueMs >= 0, `queue_ms ${queueMs} must be finite and ≥ 0`);
      c.expect(Number.isFinite(latencyMs) && latencyMs >= queueMs, `stage_latency_ms ${latencyMs} must be finite and ≥ queue_ms ${queueMs}`);
      c.expect(latencyMs <= r.ms + 1000, `stage_latency_ms ${latencyMs} exceeds the call's round trip (${r.ms.toFixed(1)} ms) by more than 1 s`);
    }
    if (batch !== undefined) c.expect(Number.isInteger(batch) && batch >= 1, `batch_size ${batch} must be an integer ≥ 1`);
    return c.verdict(`variant ${variant}, queue_ms ${queueMs?.toFixed(2)}, stage_latency_ms ${latencyMs?.toFixed(2)}, batch_size ${batch}`);
  },
};

/** Requires an INVALID_ARGUMENT answer carrying `fulcrum-error-code`, whose message names `field`. */
function expectInvalid(c: Checks, what: string, r: CallOutcome<unknown>, field?: string): void {
  if (!c.expect(!r.ok && r.code === status.INVALID_ARGUMENT, `${what}: ${describeOutcome(r)}, expected INVALID_ARGUMENT`) || r.ok) return;
  c.expect(r.errorCode !== undefined && r.errorCode !== "", `${what}: no fulcrum-error-code trailing metadata`);
  if (field) c.expect(r.details.includes(field), `${what}: message "${r.details}" does not name ${field}`);
}

/** Bad Fulcrum request parameters are refused with INVALID_ARGUMENT naming the parameter. */
export const oipBadParameters: Clause = {
  id: "oip.bad-parameters",
  title: "bad slo_ms / deadline_unix_ms / request_id refused with INVALID_ARGUMENT naming them",
  needs: ["model"],
  async run(ctx) {
    const cases: Array<[string, string, inference.InferParameter]> = [
      ["slo_ms = -5", "slo_ms", param.int(-5)],
      ["slo_ms as a bool", "slo_ms", param.bool(true)],
      ["deadline_unix_ms = \"soon\"", "deadline_unix_ms", param.str("soon")],
      ["request_id as an int64", "request_id", param.int(7)],
    ];
    const c = new Checks();
    for (const [what, name, value] of cases) {
      const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("badparam"), { [name]: value }));
      expectInvalid(c, what, r, name);
    }
    return c.verdict(`${cases.length} cases refused`);
  },
};

/** Malformed tensors are refused with INVALID_ARGUMENT before the model. */
export const oipMalformed: Clause = {
  id: "oip.malformed",
  title: "malformed tensors refused with INVALID_ARGUMENT",
  needs: ["model"],
  async run(ctx) {
    const m = ctx.model!;
    const base = (): Partial<inference.ModelInferRequest> & { inputs: inference.ModelInferRequest_InferInputTensor[]; rawInputContents: Uint8Array[] } => {
      const r = validRequest(m, 1, nextId("malformed"), { slo_ms: param.int(ctx.target.timeoutMs) });
      return { ...r, inputs: [...r.inputs!], rawInputContents: [...r.rawInputContents!] };
    };
    const input0 = m.inputs[0]!;
    const otherType = input0.datatype === "FP32" ? "FP64" : "FP32";
    const cases: Array<[string, (r: ReturnType<typeof base>) => void]> = [
      ["raw_input_contents one byte short", (r) => void (r.rawInputContents[0] = r.rawInputContents[0]!.subarray(1))],
      [`datatype ${otherType} instead of ${input0.datatype}`, (r) => void (r.inputs[0] = { ...r.inputs[0]!, datatype: otherType })],
      ["an unknown input name", (r) => void (r.inputs[0] = { ...r.inputs[0]!, name: `${input0.name}-conformance-unknown` })],
      ["one extra dimension (same byte count)", (r) => void (r.inputs[0] = { ...r.inputs[0]!, shape: [...r.inputs[0]!.shape, 1] })],
      ["no inputs", (r) => {
        r.inputs.length = 0;
        r.rawInputContents.length = 0;
      }],
      ["an input without data", (r) => void (r.rawInputContents.length = 0)],
    ];
    const c = new Checks();
    for (const [what, mutate] of cases) {
      const req = base();
      mutate(req);
      expectInvalid(c, what, await ctx.oip!.infer(req));
    }
    return c.verdict(`${cases.length} cases refused`);
  },
};

/**
 * An unmeetable deadline is answered DEADLINE_EXCEEDED (`DEADLINE_UNMEETABLE`) and never reaches
 * the model: over the metrics windows that cover the requests, early drops grow and completions do not.
 */
export const oipDeadline: Clause = {
  id: "oip.deadline",
  title: "unmeetable deadlines answered DEADLINE_EXCEEDED without reaching the model (per StageMetrics)",
  needs: ["model"],
  async run(ctx) {
    // A window boundary first, so the windows read below hold only what the kit sends next.
    const boundary = await ctx.metrics.waitFor(() => true, 3 * CONTRACT.metricsIntervalMs, ctx.metrics.seen.length);
    if (!boundary) return fail(`no StageMetrics within ${3 * CONTRACT.metricsIntervalMs} ms`);
    const c = new Checks();
    const cases: Array<[string, inference.InferParameter, string]> = [
      ["deadline_unix_ms 1 s in the past", param.int(Math.round(ctx.now() - 1000)), "deadline_unix_ms"],
      ["slo_ms = 0.001", param.double(0.001), "slo_ms"],
    ];
    for (const [what, value, name] of cases) {
      const r = await ctx.oip!.infer(validRequest(ctx.model!, 1, nextId("deadline"), { [name]: value }));
      if (c.expect(!r.ok && r.code === status.DEADLINE_EXCEEDED, `${what}: ${describeOutcome(r)}, expected DEADLINE_EXCEEDED`) && !r.ok) {
        c.expect(r.errorCode === CONTRACT.deadlineErrorCode, `${what}: fulcrum-error-code ${r.errorCode ?? "missing"}, expected ${CONTRACT.deadlineErrorCode} (a stage drop, not a transport timeout)`);
      }
    }
    let drops = 0;
    let completions = 0;
    let failures = 0;
    const enough = await ctx.metrics.waitFor(
      (m) => {
        drops += m.earlyDrops;
        completions += m.completions;
        failures += m.failures;
        return drops >= cases.length;
      },
      3 * CONTRACT.metricsIntervalMs + ctx.target.timeoutMs,
      boundary.index + 1,
    );
    c.expect(enough !== undefined, `StageMetrics counted ${drops} early drops, expected ≥ ${cases.length}`);
    c.expect(completions === 0 && failures === 0, `${completions} completions and ${failures} failures in the windows holding only the kit's hopeless requests: one reached the model (or the replica has other traffic: run the kit on an idle replica)`);
    return c.verdict(`${cases.length} dropped early; StageMetrics: ${drops} early drops, 0 completions`);
  },
};
