import { credentials, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { GRPCInferenceServiceClient, health, inference } from "@fulcrum/proto";
import { ERROR_CODE_METADATA_KEY } from "@fulcrum/runtime";

/** A unary call's outcome: the response, or the gRPC status with its trailing `fulcrum-error-code`. */
export type CallOutcome<T> =
  | { readonly ok: true; readonly response: T; readonly ms: number }
  | { readonly ok: false; readonly code: status; readonly details: string; readonly errorCode: string | undefined; readonly ms: number };

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: number }, cb: (err: ServiceError | null, res: Res) => void) => unknown;

/** Name of a gRPC status code (`DEADLINE_EXCEEDED`). */
export function statusName(code: number): string {
  return status[code] ?? String(code);
}

/** Formats an outcome for a report line. */
export function describeOutcome(o: CallOutcome<unknown>): string {
  return o.ok ? "OK" : `${statusName(o.code)}${o.errorCode ? ` [${o.errorCode}]` : ""}: ${o.details}`;
}

/**
 * The kit's view of a stage's data plane: OIP and `grpc.health.v1` calls that never reject, each
 * bounded by `timeoutMs`, returning the status and the trailing error code on failure.
 */
export class OipProbe {
  private readonly oip: GRPCInferenceServiceClient;
  private readonly health: health.HealthClient;

  constructor(
    /** `host:port` of the stage. */
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    const opts = { "grpc.max_receive_message_length": 256 * 1024 * 1024, "grpc.max_send_message_length": 256 * 1024 * 1024 };
    this.oip = new GRPCInferenceServiceClient(address, credentials.createInsecure(), opts);
    this.health = new health.HealthClient(address, credentials.createInsecure(), opts);
  }

  serverLive(): Promise<CallOutcome<inference.ServerLiveResponse>> {
    return this.call(this.oip.serverLive.bind(this.oip) as Unary<inference.ServerLiveRequest, inference.ServerLiveResponse>, {});
  }
  serverReady(): Promise<CallOutcome<inference.ServerReadyResponse>> {
    return this.call(this.oip.serverReady.bind(this.oip) as Unary<inference.ServerReadyRequest, inference.ServerReadyResponse>, {});
  }
  serverMetadata(): Promise<CallOutcome<inference.ServerMetadataResponse>> {
    return this.call(this.oip.serverMetadata.bind(this.oip) as Unary<inference.ServerMetadataRequest, inference.ServerMetadataResponse>, {});
  }
  modelReady(name: string): Promise<CallOutcome<inference.ModelReadyResponse>> {
    return this.call(this.oip.modelReady.bind(this.oip) as Unary<inference.ModelReadyRequest, inference.ModelReadyResponse>, { name, version: "" });
  }
  modelMetadata(name: string): Promise<CallOutcome<inference.ModelMetadataResponse>> {
    return this.call(this.oip.modelMetadata.bind(this.oip) as Unary<inference.ModelMetadataRequest, inference.ModelMetadataResponse>, { name, version: "" });
  }
  infer(req: Partial<inference.ModelInferRequest>): Promise<CallOutcome<inference.ModelInferResponse>> {
    return this.call(this.oip.modelInfer.bind(this.oip) as Unary<inference.ModelInferRequest, inference.ModelInferResponse>, inference.ModelInferRequest.fromPartial(req));
  }
  healthCheck(service = ""): Promise<CallOutcome<health.HealthCheckResponse>> {
    return this.call(this.health.check.bind(this.health) as Unary<health.HealthCheckRequest, health.HealthCheckResponse>, { service });
  }

  close(): void {
    this.oip.close();
    this.health.close();
  }

  private call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<CallOutcome<Res>> {
    const started = performance.now();
    return new Promise((resolve) => {
      fn(req, new Metadata(), { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        const ms = performance.now() - started;
        if (!err) {
          resolve({ ok: true, response: res, ms });
          return;
        }
        const code = err.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
        resolve({ ok: false, code: err.code, details: err.details ?? err.message, errorCode: code === undefined ? undefined : String(code), ms });
      });
    });
  }
}
