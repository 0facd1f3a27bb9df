/**
 * @fulcrum/runtime: the adapters every Fulcrum service shares. Config (zod, env + YAML), the NATS
 * bus (typed protobuf subjects, KV, trace headers), gRPC server helpers, telemetry bootstrap,
 * structured logging, lifecycle/shutdown, Prometheus metrics, and an embedded nats-server.
 */
export * from "./bus/index.js";
export * from "./config/index.js";
export * from "./lifecycle/index.js";
export * from "./log/index.js";
export * from "./nats/index.js";
export * from "./telemetry/index.js";
export * from "./grpc/index.js";
export * from "./metrics/index.js";
export * from "./codec/index.js";
export * from "./http/index.js";
export * from "./data/index.js";
