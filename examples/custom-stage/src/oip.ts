/**
 * The Open Inference Protocol v2 handlers (inference.GRPCInferenceService) and grpc.health.v1:
 * decode and validate, hand the job to the server, encode the answer with Fulcrum's response
 * parameters. Objects are as @grpc/proto-loader gives them (camelCase, int64 as number, oneofs named
 * by a `parameterChoice` field).
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { invalidArgument, notFound, toServiceError, unavailable } from "./errors.js";
import type { Job, JobResult, Server } from "./serving.js";

/** An InferParameter: one of its fields is set, named by `parameterChoice`. */
interface InferParameter {
  parameterChoice?: "boolParam" | "int64Param" | "stringParam" | "doubleParam" | "uint64Param";
  boolParam?: boolean;
  int64Param?: number;
  stringParam?: string;
  doubleParam?: number;
  uint64Param?: number;
}
interface InferInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents: { uintContents?: number[] } | null;
}
interface InferRequest {
  modelName: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: InferInputTensor[];
  outputs: Array<{ name: string }>;
  rawInputContents: Buffer[];
}

/** What the handlers need. */
export interface OipDeps {
  readonly server: Server;
  /** The stage name = the OIP model name. */
  readonly model: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly channels: 1 | 3;
  readonly outputSize: number;
  readonly maxRequestBytes: number;
  readonly maxRowsPerRequest: number;
  readonly defaultSloMs: number;
  /** Whether the stage takes requests (ready and not draining). */
  readonly ready: () => boolean;
  readonly variant: () => string;
  readonly now: () => number;
}

function numberParam(field: string, p: InferParameter | undefined): number | undefined {
  if (!p?.parameterChoice) return undefined;
  const v = p[p.parameterChoice];
  if ((p.parameterChoice === "int64Param" || p.parameterChoice === "doubleParam" || p.parameterChoice === "uint64Param") && typeof v === "number" && Number.isFinite(v)) return v;
  throw invalidArgument(field, `must be an int64, uint64 or double parameter holding a finite number, got ${p.parameterChoice} ${JSON.stringify(v)}`);
}

/** Validates a ModelInferRequest against what this stage takes: one UINT8 `[N, H, W, C]` image tensor. */
export function decodeRequest(req: InferRequest, d: OipDeps): Job & { outputs: string[]; id: string } {
  if (req.modelName !== d.model) throw invalidArgument("model_name", `unknown model "${req.modelName}": this stage serves "${d.model}"`);
  const p = req.parameters ?? {};
  const sloMs = numberParam("parameters.slo_ms", p.slo_ms);
  if (sloMs !== undefined && !(sloMs > 0)) throw invalidArgument("parameters.slo_ms", `must be > 0, got ${sloMs}`);
  const deadlineUnixMs = numberParam("parameters.deadline_unix_ms", p.deadline_unix_ms);
  const rid = p.request_id;
  if (rid?.parameterChoice !== undefined && rid.parameterChoice !== "stringParam") throw invalidArgument("parameters.request_id", `must be a string parameter, got ${rid.parameterChoice}`);
  if (req.inputs.length === 0) throw invalidArgument("inputs", `no input tensors; the model expects "${d.inputName}"`);
  if (req.inputs.length > 1) throw invalidArgument("inputs", `${req.inputs.length} input tensors; the model takes only "${d.inputName}"`);
  const t = req.inputs[0]!;
  if (t.name !== d.inputName) throw invalidArgument("inputs[0].name", `unknown input "${t.name}"; the model expects "${d.inputName}"`);
  if (t.datatype !== "UINT8") throw invalidArgument("inputs[0].datatype", `input "${t.name}" must be UINT8, got ${t.datatype}`);
  const [n, h, w, c] = t.shape;
  if (t.shape.length !== 4 || t.shape.some((x) => !Number.isInteger(x) || x < 1) || c !== d.channels) {
    throw invalidArgument("inputs[0].shape", `input "${t.name}" has shape [${t.shape.join(",")}], expected [N,H,W,${d.channels}] with N, H, W ≥ 1`);
  }
  if (n! > d.maxRowsPerRequest) throw invalidArgument("inputs[0].shape", `batch dimension ${n} exceeds the per-request limit of ${d.maxRowsPerRequest}`);
  const bytes = n! * h! * w! * c!;
  if (bytes > d.maxRequestBytes) throw invalidArgument("inputs[0].shape", `shape [${t.shape.join(",")}] needs ${bytes} bytes, more than the limit of ${d.maxRequestBytes}`);
  let pixels: Uint8Array;
  if (req.rawInputContents.length > 0) {
    if (req.rawInputContents.length !== 1) throw invalidArgument("raw_input_contents", `has ${req.rawInputContents.length} entries for 1 input`);
    pixels = req.rawInputContents[0]!;
    if (pixels.byteLength !== bytes) throw invalidArgument("raw_input_contents[0]", `input "${t.name}" has ${pixels.byteLength} bytes, shape [${t.shape.join(",")}] of UINT8 needs ${bytes}`);
  } else if (t.contents?.uintContents && t.contents.uintContents.length > 0) {
    const v = t.contents.uintContents;
    if (v.length !== bytes || v.some((x) => x > 255)) throw invalidArgument("inputs[0].contents", `needs ${bytes} uint_contents values in 0..255, got ${v.length}`);
    pixels = Uint8Array.from(v);
  } else {
    throw invalidArgument("inputs[0].contents", `input "${t.name}" has no data (neither raw_input_contents nor contents)`);
  }
  const outputs = req.outputs.map((o, i) => {
    if (o.name !== d.outputName) throw invalidArgument(`outputs[${i}].name`, `unknown output "${o.name}"; the model has "${d.outputName}"`);
    return o.name;
  });
  const now = d.now();
  return {
    id: req.id,
    requestId: rid?.stringParam || req.id,
    pixels,
    n: n!,
    h: h!,
    w: w!,
    deadlineMs: deadlineUnixMs ?? now + (sloMs ?? d.defaultSloMs),
    outputs,
  };
}

function encodeResponse(d: OipDeps, id: string, n: number, r: JobResult): unknown {
  return {
    modelName: d.model,
    modelVersion: "",
    id,
    outputs: [{ name: d.outputName, datatype: "FP32", shape: [n, 1, d.outputSize, d.outputSize], parameters: {} }],
    rawOutputContents: [Buffer.from(r.output.buffer, r.output.byteOffset, r.output.byteLength)],
    parameters: {
      variant: { stringParam: d.variant() },
      queue_ms: { doubleParam: r.queueMs },
      stage_latency_ms: { doubleParam: r.stageLatencyMs },
      batch_size: { int64Param: r.batchSize },
    },
  };
}

type Unary = (call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) => void;

/** `inference.GRPCInferenceService`. */
export function inferenceService(d: OipDeps): UntypedServiceImplementation {
  const tensor = (name: string, datatype: string, shape: number[]): object => ({ name, datatype, shape });
  const handlers: Record<string, Unary> = {
    ServerLive: (_call, cb) => cb(null, { live: true }),
    ServerReady: (_call, cb) => cb(null, { ready: d.ready() }),
    ModelReady: (call, cb) => cb(null, { ready: d.ready() && call.request.name === d.model }),
    ServerMetadata: (_call, cb) => cb(null, { name: "fulcrum-example-custom-stage", version: "1.0.0", extensions: ["fulcrum-deadlines"] }),
    ModelMetadata: (call, cb) => {
      if (call.request.name !== d.model) return cb(toServiceError(notFound(String(call.request.name), d.model)), null);
      cb(null, {
        name: d.model,
        versions: [],
        platform: "fulcrum-example-preprocess",
        inputs: [tensor(d.inputName, "UINT8", [-1, -1, -1, d.channels])],
        outputs: [tensor(d.outputName, "FP32", [-1, 1, d.outputSize, d.outputSize])],
      });
    },
    ModelInfer: (call, cb) => {
      if (!d.ready()) return cb(toServiceError(unavailable("stage is not ready")), null);
      let job;
      try {
        job = decodeRequest(call.request as unknown as InferRequest, d);
      } catch (err) {
        return cb(toServiceError(err), null);
      }
      d.server.submit(job).then(
        (r) => cb(null, encodeResponse(d, job.id, job.n, r)),
        (err: unknown) => cb(toServiceError(err), null),
      );
    },
  };
  return handlers as unknown as UntypedServiceImplementation;
}

/** Health status names of grpc.health.v1 (enums as strings). */
export type HealthStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

/** `grpc.health.v1.Health` for the whole server (`""`) and the OIP service name. */
export class Health {
  private status: HealthStatus = "NOT_SERVING";
  private readonly watchers = new Set<ServerWritableStream<{ service: string }, unknown>>();
  private static readonly SERVICES = ["", "inference.GRPCInferenceService"];

  set(status: HealthStatus): void {
    this.status = status;
    for (const w of this.watchers) w.write({ status });
  }

  endAll(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  readonly implementation: UntypedServiceImplementation = {
    Check: (call: ServerUnaryCall<{ service: string }, unknown>, cb: sendUnaryData<unknown>) => {
      cb(null, { status: Health.SERVICES.includes(call.request.service) ? this.status : "SERVICE_UNKNOWN" });
    },
    Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
      if (!Health.SERVICES.includes(call.request.service)) {
        call.write({ status: "SERVICE_UNKNOWN" });
        return;
      }
      call.write({ status: this.status });
      this.watchers.add(call);
      call.on("cancelled", () => this.watchers.delete(call));
    },
  };
}
