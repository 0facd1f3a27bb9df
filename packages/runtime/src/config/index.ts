export type { ConfigIssue } from "./errors.js";
export { ConfigError } from "./errors.js";
export type { LoadConfigOptions } from "./load-config.js";
export { envBoolean, loadConfig, toEnvName } from "./load-config.js";
