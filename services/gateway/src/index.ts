/** @fulcrum/gateway: the OIP front door of Fulcrum's pipelines (deadlines, weighted routing, retries, metrics). */
export { gatewayConfigSchema, gatewayPipelineSchema, gatewayStageSchema, loadGatewayConfig, type GatewayConfig, type GatewayPipeline } from "./config.js";
export { startGateway, type GatewayDeps, type GatewayHandle, type GatewayState, type PipelineTotals } from "./gateway.js";
export { DeadlinePassedError, NoReplicaError, StageCallError, StageWiringError } from "./errors.js";
export { callDeadlineMs, remainingMs, requestDeadline, type DeadlineParams } from "./core/deadline.js";
export { eligibleReplicas, leastOutstanding, type EligibilityRules, type ReplicaInfo } from "./core/replica-choice.js";
export { Router, type Route, type RouterOptions } from "./core/router.js";
export { pickWeighted, type WeightedCandidate, type WrrPick, type WrrState } from "./core/weighted-round-robin.js";
export { answeredFate, pipelineAccuracy, RequestWindow, type RequestFate, type RequestRecord, type WindowSnapshot } from "./core/window.js";
export { PipelineExecutor, type RequestObserver } from "./serving/pipeline-executor.js";
export { inferResponseToRest, restToInferRequest } from "./transport/rest-codec.js";
