export type { NatsServerHandle, NatsServerOptions } from "./embedded-server.js";
export { NatsServerStartError, isNatsReachable, startNatsServer } from "./embedded-server.js";
export type { EphemeralPortSource } from "./free-port.js";
export { createPortAllocator, freePort } from "./free-port.js";
export { testNatsUrl } from "./test-url.js";
