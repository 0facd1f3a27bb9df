import { Metadata, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import type { inference } from "@fulcrum/proto";
import { ERROR_CODE_METADATA_KEY, OipClient } from "@fulcrum/runtime";

/**
 * Outcome of one stage call: a response, or the gRPC status it failed with and the stage's stable
 * error code (absent when the failure came from the transport, not from a stage's answer).
 */
export type StageCallOutcome =
  | { readonly ok: true; readonly response: inference.ModelInferResponse }
  | { readonly ok: false; readonly code: number; readonly details: string; readonly errorCode?: string };

/** The one thing the pipeline executor needs from the data plane (a port, so tests could swap it). */
export interface StageCaller {
  /** Calls ModelInfer on the replica at `address`, giving up at `deadlineMs` (Unix ms). Never rejects. */
  call(address: string, request: inference.ModelInferRequest, deadlineMs: number): Promise<StageCallOutcome>;
}

/** gRPC channels to stage replicas, one per address, created on first use. */
export class StageClients implements StageCaller {
  private readonly clients = new Map<string, OipClient>();

  constructor(
    private readonly maxMessageBytes: number,
    /** Transport security of the calls (plaintext when omitted). */
    private readonly credentials?: ChannelCredentials,
  ) {}

  private client(address: string): OipClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = new OipClient(address, { maxSendMessageBytes: this.maxMessageBytes, ...(this.credentials ? { credentials: this.credentials } : {}) })));
    return c;
  }

  call(address: string, request: inference.ModelInferRequest, deadlineMs: number): Promise<StageCallOutcome> {
    const client = this.client(address);
    return new Promise((resolve) => {
      client.raw.modelInfer(request, new Metadata(), { deadline: deadlineMs }, (err: ServiceError | null, res?: inference.ModelInferResponse) => {
        if (!err) return resolve({ ok: true, response: res! });
        const code = err.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
        resolve({ ok: false, code: err.code, details: err.details, ...(code !== undefined ? { errorCode: String(code) } : {}) });
      });
    });
  }

  /**
   * Opens the channel to a replica ahead of its first call (name resolution and the HTTP/2
   * handshake then do not count against a request's deadline).
   */
  connect(address: string): void {
    this.client(address).raw.getChannel().getConnectivityState(true);
  }

  /** Whether the replica at `address` answers ServerReady with ready = true within `timeoutMs`. */
  probe(address: string, timeoutMs: number): Promise<boolean> {
    const client = this.client(address);
    return new Promise((resolve) => client.raw.serverReady({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => resolve(!err && res!.ready)));
  }

  /** ModelMetadata of `model` from the replica at `address`; rejects with the gRPC error. */
  metadata(address: string, model: string, timeoutMs: number): Promise<inference.ModelMetadataResponse> {
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      client.raw.modelMetadata({ name: model, version: "" }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: inference.ModelMetadataResponse) =>
        err ? reject(err) : resolve(res!),
      );
    });
  }

  /** Closes the channel to an address no replica uses any more. */
  forget(address: string): void {
    this.clients.get(address)?.close();
    this.clients.delete(address);
  }

  closeAll(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

