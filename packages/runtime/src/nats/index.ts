export type { NatsServerHandle, NatsServerOptions } from "./embedded-server.js";
export { NatsServerStartError, freePort, isNatsReachable, startNatsServer } from "./embedded-server.js";
export { testNatsUrl } from "./test-url.js";
