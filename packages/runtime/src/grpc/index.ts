export { FLOW_CONTROL_WINDOW_BYTES, openServerFlowControlWindow } from "./flow-control.js";
export { HealthReporter, ServingStatus } from "./health.js";
export type { GrpcServerHandle, GrpcServerOptions, GrpcServiceBinding } from "./server.js";
export { startGrpcServer } from "./server.js";
export { ERROR_CODE_METADATA_KEY, grpcStatusOf, toServiceError } from "./status.js";
export type { InferOutcome, OipClientOptions } from "./oip-client.js";
export { fp32Request, OipClient } from "./oip-client.js";
export type { OipParams } from "./oip-params.js";
export { oipParam, oipParamValue, readFulcrumParams } from "./oip-params.js";
