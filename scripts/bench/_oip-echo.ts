/**
 * Child process of the stage benchmark: the transport-limit anchor. A bare `@grpc/grpc-js` server
 * with the generated OIP service definition (so every request is decoded and every response
 * encoded by the same generated code the stage uses) whose ModelInfer answers every call with one
 * precomputed response: no validation, no batching, no inference. Whatever the stage does beyond
 * this is its own per-request cost.
 *
 * Args: JSON `{response}` where `response` is the base64 protobuf of the ModelInferResponse to
 * send (the stage's own answer to the benchmark request). Prints `{"port":N}` once listening, then
 * serves until SIGTERM.
 */
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { GRPCInferenceServiceService, inference } from "@fulcrum/proto";
import { FLOW_CONTROL_WINDOW_BYTES, openServerFlowControlWindow } from "@fulcrum/runtime";

const args = JSON.parse(process.argv[2] ?? "{}") as { response?: string };
if (typeof args.response !== "string") throw new Error(`_oip-echo: expected JSON {"response": "<base64 ModelInferResponse>"}, got ${process.argv[2]}`);
const response = inference.ModelInferResponse.decode(Buffer.from(args.response, "base64"));

const server = new Server();
const implementation: UntypedServiceImplementation = {
  modelInfer(_call: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>, cb: sendUnaryData<inference.ModelInferResponse>) {
    cb(null, response);
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
