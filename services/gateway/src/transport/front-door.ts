import type { inference } from "@fulcrum/proto";

/**
 * What the gateway's OIP front doors (gRPC and REST) ask of it. A pipeline is an OIP model; it has
 * one version, {@link PIPELINE_VERSION}: a request for another version is NOT_FOUND.
 */
export interface FrontDoor {
  /** Runs one request through `pipeline` (throws typed errors). */
  infer(pipeline: string, req: inference.ModelInferRequest): Promise<inference.ModelInferResponse>;
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
