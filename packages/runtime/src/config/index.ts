export type { ConfigIssue } from "./errors.js";
export { ConfigError } from "./errors.js";
export type { LoadConfigOptions } from "./load-config.js";
export { envBoolean, loadConfig, toEnvName } from "./load-config.js";
export { assignmentLimitsOf, assignmentLimitsShape, DEFAULT_MESSAGE_LIMITS, messageLimitsShape } from "./limits-config.js";
export { checkNatsConfig, NATS_ENV_ALIASES, natsConfigShape, natsConnectOptions, type NatsConfig, type NatsConnectOptions } from "./nats-config.js";
export { checkGrpcTlsConfig, GRPC_TLS_CLIENT_ENV_ALIASES, GRPC_TLS_SERVER_ENV_ALIASES, grpcChannelCredentials, grpcServerCredentials, grpcTlsClientShape, grpcTlsServerShape, TlsFileError, type GrpcTlsConfig } from "./grpc-tls-config.js";
export { makeTestCertificates, type TestCertificates } from "./test-certificates.js";
