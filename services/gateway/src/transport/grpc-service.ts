import type { Metadata, sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { inference, GRPCInferenceServiceServer } from "@fulcrum/proto";
import { toServiceError } from "@fulcrum/runtime";
import type { FrontDoor, RequestIntake } from "./front-door.js";

/**
 * `inference.GRPCInferenceService` of the gateway: a pipeline is a model; thin handlers, typed
 * errors mapped to statuses. `intakeOf` finds what the intake interceptor recorded about a call
 * (its arrival, the client's deadline) by the call's request metadata.
 */
export function gatewayGrpcService(deps: FrontDoor, intakeOf: (metadata: Metadata) => RequestIntake | undefined = () => undefined): GRPCInferenceServiceServer & UntypedServiceImplementation {
  return {
    serverLive(_c: ServerUnaryCall<inference.ServerLiveRequest, inference.ServerLiveResponse>, cb: sendUnaryData<inference.ServerLiveResponse>) {
      cb(null, { live: true });
    },
    serverReady(_c: ServerUnaryCall<inference.ServerReadyRequest, inference.ServerReadyResponse>, cb: sendUnaryData<inference.ServerReadyResponse>) {
      cb(null, { ready: deps.ready() });
    },
    modelReady(call: ServerUnaryCall<inference.ModelReadyRequest, inference.ModelReadyResponse>, cb: sendUnaryData<inference.ModelReadyResponse>) {
      cb(null, { ready: deps.modelReady(call.request.name, call.request.version || undefined) });
    },
    serverMetadata(_c: ServerUnaryCall<inference.ServerMetadataRequest, inference.ServerMetadataResponse>, cb: sendUnaryData<inference.ServerMetadataResponse>) {
      cb(null, deps.serverMetadata());
    },
    modelMetadata(call: ServerUnaryCall<inference.ModelMetadataRequest, inference.ModelMetadataResponse>, cb: sendUnaryData<inference.ModelMetadataResponse>) {
      deps.metadata(call.request.name, call.request.version || undefined).then(
        (m) => cb(null, m),
        (err: unknown) => cb(toServiceError(err), null),
      );
    },
    modelInfer(call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>, cb: sendUnaryData<inference.ModelInferResponse>) {
      deps.infer(call.request.modelName, call.request, intakeOf(call.metadata)).then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err), null),
      );
    },
  };
}
