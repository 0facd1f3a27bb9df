import type { inference } from "@fulcrum/proto";

/**
 * How a request came in, as the transport saw it: when it arrived, the client's own deadline, and
 * whether the client went away before it was answered.
 */
export interface RequestIntake {
  /**
   * When the request arrived, Unix ms: for gRPC, when grpc-js created the call from the HTTP/2
   * stream's headers; for REST, when Node parsed the request's headers. Deadlines and latencies
   * count from here, not from when a handler got to the request.
   */
  readonly arrivalMs: number;
  /** The client's transport deadline (gRPC `grpc-timeout` counted from arrival), Unix ms; undefined when it set none. */
  readonly clientDeadlineMs: number | undefined;
  /**
   * Calls `listener` once, with the time, if the client's stream or connection closes before the
   * gateway answered (at once if it already has).
   */
  onAbandoned(listener: (closedMs: number) => void): void;
}

/**
 * What the gateway's OIP front doors (gRPC and REST) ask of it. A pipeline is an OIP model; it has
 * one version, {@link PIPELINE_VERSION}: a request for another version is NOT_FOUND.
 */
export interface FrontDoor {
  /** Runs one request through `pipeline` (throws typed errors); `intake` as the transport saw it (default: arrival now). */
  infer(pipeline: string, req: inference.ModelInferRequest, intake?: RequestIntake): Promise<inference.ModelInferResponse>;
  /** Model metadata: the first stage's inputs and the last stage's outputs. */
  metadata(pipeline: string, version?: string): Promise<inference.ModelMetadataResponse>;
  serverMetadata(): inference.ServerMetadataResponse;
  /** Whether the gateway takes requests. */
  ready(): boolean;
  /** Whether every stage of `pipeline` has a ready replica (false for an unknown pipeline or version). */
  modelReady(pipeline: string, version?: string): boolean;
}

/** The one version every pipeline model has. */
export const PIPELINE_VERSION = "1";
