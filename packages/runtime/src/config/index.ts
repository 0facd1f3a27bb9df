export type { ConfigIssue } from "./errors.js";
export { ConfigError } from "./errors.js";
export type { LoadConfigOptions } from "./load-config.js";
export { envBoolean, loadConfig, toEnvName } from "./load-config.js";
export { assignmentLimitsOf, assignmentLimitsShape, DEFAULT_MESSAGE_LIMITS, messageLimitsShape } from "./limits-config.js";
export { checkNatsConfig, NATS_ENV_ALIASES, natsConfigShape, natsConnectOptions, type NatsConfig, type NatsConnectOptions } from "./nats-config.js";
