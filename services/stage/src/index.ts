/** @fulcrum/stage: one replica of one pipeline stage (OIP gRPC, EDF batching, live reconfiguration). */
export { loadStageConfig, stageConfigSchema, type StageConfig } from "./config.js";
export { startStage, type StageDeps, type StageHandle, type StageState } from "./stage.js";
export { StageServer, type ActiveConfig, type StageServerOptions } from "./serving/stage-server.js";
export { Reconfigurer, type ApplyOutcome } from "./control/reconfigurer.js";
export { decodeInferRequest, encodeInferResponse, oipDatatype, type ModelSignature, type StageRequest, type StageResponse } from "./transport/codec.js";

