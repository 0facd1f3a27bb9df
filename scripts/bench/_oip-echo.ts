/**
 * Child process of the stage benchmark: the transport-limit anchor. A bare `@grpc/grpc-js` server
 * with the generated OIP service definition (so every request is decoded and every response
 * encoded by the same generated code the stage uses) whose ModelInfer answers every call with one
 * precomputed response: no validation, no batching, no inference. Whatever the stage does beyond
 * this is its own per-request cost.
 *
 * Args: JSON `{response}` where `response` is the base64 protobuf of the ModelInferResponse to
 * send (the stage's own answer to the benchmark request), or `{refuse: true}`: every ModelInfer is
 * refused with RESOURCE_EXHAUSTED and Fulcrum's error-code metadata, as the gateway refuses past its
 * admission limit (the overload benchmark's floor for a refusal's latency). Prints `{"port":N}` once listening, then
 * serves until SIGTERM.
 */
import { Server, ServerCredentials, type ServiceError, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { GRPCInferenceServiceService, inference } from "@fulcrum/proto";
import { FulcrumError } from "@fulcrum/core";
import { FLOW_CONTROL_WINDOW_BYTES, openServerFlowControlWindow, toServiceError } from "@fulcrum/runtime";

const args = JSON.parse(process.argv[2] ?? "{}") as { response?: string; refuse?: boolean };
if (typeof args.response !== "string" && args.refuse !== true) throw new Error(`_oip-echo: expected JSON {"response": "<base64 ModelInferResponse>"} or {"refuse": true}, got ${process.argv[2]}`);
const response = typeof args.response === "string" ? inference.ModelInferResponse.decode(Buffer.from(args.response, "base64")) : undefined;
// The refusal a Fulcrum gateway sends past its admission limit, through the same error edge.
const refusal = (): ServiceError => toServiceError(new FulcrumError("GATEWAY_OVERLOADED", "resource-exhausted", "overloaded (retry later)"));

const server = new Server();
const implementation: UntypedServiceImplementation = {
  modelInfer(_call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>, cb: sendUnaryData<inference.ModelInferResponse>) {
    if (response) cb(null, response);
    else cb(refusal(), null);
  },
  serverReady(_call: ServerUnaryCall<inference.ServerReadyRequest, inference.ServerReadyResponse>, cb: sendUnaryData<inference.ServerReadyResponse>) {
    cb(null, { ready: true });
  },
};
server.addService(GRPCInferenceServiceService as unknown as ServiceDefinition, implementation);
const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
// The same HTTP/2 windows as Fulcrum's servers, so the anchor differs from the stage only in what the stage does per request.
openServerFlowControlWindow(server, FLOW_CONTROL_WINDOW_BYTES);
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
