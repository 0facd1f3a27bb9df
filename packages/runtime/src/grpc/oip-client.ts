import { credentials, Metadata, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import { GRPCInferenceServiceClient, inference } from "@fulcrum/proto";
import { FLOW_CONTROL_WINDOW_BYTES } from "./flow-control.js";

/** Result of one {@link OipClient.infer} call: a response, or the gRPC status it failed with. */
export interface InferOutcome {
  readonly ok: boolean;
  /** gRPC status code when `ok` is false. */
  readonly code?: number;
  readonly details?: string;
  readonly response?: inference.ModelInferResponse;
}

/** Options of {@link OipClient}. */
export interface OipClientOptions {
  /**
   * Largest request sent, bytes.
   * @default 256 MiB
   */
  readonly maxSendMessageBytes?: number;
  /** Per-call deadline, ms (none when omitted). */
  readonly callTimeoutMs?: number;
  /** Transport security (see `grpcChannelCredentials`). @default plaintext */
  readonly credentials?: ChannelCredentials;
}

/**
 * A thin Open Inference Protocol client (what any KServe/Triton gRPC client sends), used by the
 * gateway, the load generator, tests and benchmarks. `infer` never rejects: failures come back as
 * an outcome with the gRPC status, so load loops account for every request.
 */
export class OipClient {
  readonly raw: GRPCInferenceServiceClient;

  constructor(
    /** `host:port` of a stage or the gateway. */
    readonly address: string,
    private readonly options: OipClientOptions = {},
  ) {
    this.raw = new GRPCInferenceServiceClient(address, options.credentials ?? credentials.createInsecure(), {
      "grpc.max_send_message_length": options.maxSendMessageBytes ?? 256 * 1024 * 1024,
      "grpc.max_receive_message_length": 256 * 1024 * 1024,
      // Responses (and this client's share of the connection) get the same window as the servers.
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
    });
  }

  infer(req: Partial<inference.ModelInferRequest>, metadata: Metadata = new Metadata()): Promise<InferOutcome> {
    const full = inference.ModelInferRequest.fromPartial(req);
    const opts = this.options.callTimeoutMs ? { deadline: Date.now() + this.options.callTimeoutMs } : {};
    return new Promise((resolve) => {
      this.raw.modelInfer(full, metadata, opts, (err: ServiceError | null, res?: inference.ModelInferResponse) => {
        if (err) resolve({ ok: false, code: err.code, details: err.details });
        else resolve({ ok: true, response: res! });
      });
    });
  }

  /** Whether the server answers ServerReady with ready = true. */
  ready(): Promise<boolean> {
    return new Promise((resolve) => this.raw.serverReady({}, (err, res) => resolve(!err && res!.ready)));
  }

  close(): void {
    this.raw.close();
  }
}

/** A request with one FP32 input of shape `[rows, ...tail]`, filled with `value`. */
export function fp32Request(
  model: string,
  input: string,
  tail: readonly number[],
  opts: { rows?: number; value?: number; id?: string; params?: Record<string, inference.InferParameter> } = {},
): Partial<inference.ModelInferRequest> {
  const rows = opts.rows ?? 1;
  const count = rows * tail.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count).fill(opts.value ?? 0.5);
  return {
    modelName: model,
    id: opts.id ?? "",
    inputs: [{ name: input, datatype: "FP32", shape: [rows, ...tail], parameters: {}, contents: undefined }],
    rawInputContents: [Buffer.from(data.buffer)],
    parameters: opts.params ?? {},
  };
}
