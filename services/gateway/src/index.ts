/** @fulcrum/gateway: the OIP front door of Fulcrum's pipelines (deadlines, weighted routing, retries, metrics). */
export { gatewayConfigSchema, gatewayPipelineSchema, gatewayStageSchema, loadGatewayConfig, type GatewayConfig, type GatewayPipeline } from "./config.js";
export { startGateway, type GatewayDeps, type GatewayHandle, type GatewayState, type PipelineTotals } from "./gateway.js";
export { DeadlinePassedError, NoReplicaError, StageCallError, StageWiringError } from "./errors.js";
export { PipelineExecutor, type RequestObserver } from "./serving/pipeline-executor.js";
export { inferResponseToRest, restToInferRequest } from "./transport/rest-codec.js";
