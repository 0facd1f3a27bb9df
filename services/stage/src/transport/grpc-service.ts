import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import { NotFoundError } from "@fulcrum/core";
import type { inference, GRPCInferenceServiceServer } from "@fulcrum/proto";
import { toServiceError } from "@fulcrum/runtime";
import { StageUnavailableError } from "../errors.js";
import type { StageServer } from "../serving/stage-server.js";
import { decodeInferRequest, encodeInferResponse, encodeModelMetadata, type DecodeLimits, type ModelSignature } from "./codec.js";

/** What the OIP handlers need from the stage. */
export interface GrpcStageDeps {
  readonly server: StageServer;
  readonly limits: DecodeLimits;
  /** The served model's signature, or undefined before a model is loaded. */
  readonly signature: () => ModelSignature | undefined;
  /** Whether the stage accepts requests (ready and not draining). */
  readonly ready: () => boolean;
  readonly serverName: string;
  readonly serverVersion: string;
}

/**
 * `inference.GRPCInferenceService` for one stage: thin handlers that decode with the codec, call the
 * stage server, and map typed errors to gRPC statuses.
 */
export function grpcInferenceService(deps: GrpcStageDeps): GRPCInferenceServiceServer & UntypedServiceImplementation {
  return {
    serverLive(_call: ServerUnaryCall<inference.ServerLiveRequest, inference.ServerLiveResponse>, cb: sendUnaryData<inference.ServerLiveResponse>) {
      cb(null, { live: true });
    },
    serverReady(_call: ServerUnaryCall<inference.ServerReadyRequest, inference.ServerReadyResponse>, cb: sendUnaryData<inference.ServerReadyResponse>) {
      cb(null, { ready: deps.ready() });
    },
    modelReady(call: ServerUnaryCall<inference.ModelReadyRequest, inference.ModelReadyResponse>, cb: sendUnaryData<inference.ModelReadyResponse>) {
      const sig = deps.signature();
      cb(null, { ready: deps.ready() && sig !== undefined && call.request.name === sig.name });
    },
    serverMetadata(_call: ServerUnaryCall<inference.ServerMetadataRequest, inference.ServerMetadataResponse>, cb: sendUnaryData<inference.ServerMetadataResponse>) {
      cb(null, { name: deps.serverName, version: deps.serverVersion, extensions: ["fulcrum-deadlines", "fulcrum-variants"] });
    },
    modelMetadata(call: ServerUnaryCall<inference.ModelMetadataRequest, inference.ModelMetadataResponse>, cb: sendUnaryData<inference.ModelMetadataResponse>) {
      const sig = deps.signature();
      if (!sig || call.request.name !== sig.name) {
        cb(toServiceError(new NotFoundError("model", call.request.name, { known: sig ? [sig.name] : [] })), null);
        return;
      }
      cb(null, encodeModelMetadata(sig, "onnxruntime_onnx"));
    },
    modelInfer(call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>, cb: sendUnaryData<inference.ModelInferResponse>) {
      const sig = deps.signature();
      if (!sig) {
        cb(toServiceError(new StageUnavailableError("stage has no model loaded yet")), null);
        return;
      }
      let req;
      try {
        req = decodeInferRequest(call.request, sig, deps.limits);
      } catch (err) {
        cb(toServiceError(err), null);
        return;
      }
      const requested = req.outputs;
      deps.server.submit(req, (err, res) => {
        if (err !== null) return cb(toServiceError(err), null);
        let out: inference.ModelInferResponse;
        try {
          out = encodeInferResponse(sig.name, res!, requested);
        } catch (e) {
          return cb(toServiceError(e), null);
        }
        cb(null, out);
      });
    },
  };
}
