/**
 * @fulcrum/proto: Fulcrum's wire contracts. The Open Inference Protocol v2 gRPC API (`inference`),
 * the control-plane messages (`fulcrum.v1`), and the NATS subjects and KV buckets that carry them.
 * Generated code lives in `src/gen/` (never edited, never committed; `npm run generate`).
 */
export * as inference from "./gen/inference/grpc_predict_v2.js";
export * as control from "./gen/fulcrum/v1/control.js";
export type { GRPCInferenceServiceServer } from "./gen/inference/grpc_predict_v2.js";
export { encodeModelInferRequest, encodeModelInferResponse, GRPCInferenceServiceClient, GRPCInferenceServiceService } from "./oip-service.js";
export type { KvBucketSpec } from "./subjects.js";
export { InvalidSubjectTokenError, KV_BUCKET_SPECS, KV_BUCKETS, REGISTRY_HEARTBEAT_MS, REGISTRY_TTL_MS, SUBJECT_ROOT, kvKeys, subjectToken, subjects } from "./subjects.js";
export * as health from "./gen/grpc/health/v1/health.js";
