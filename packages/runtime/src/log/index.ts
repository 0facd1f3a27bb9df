export type { Logger, LoggerSettings } from "./logger.js";
export { createLogger } from "./logger.js";
