export type { Bus, BusOptions, MessageMeta, Stoppable, SubscribeOptions, TypedKv } from "./bus.js";
export { connectBus } from "./bus.js";
export type { Codec } from "./codec.js";
export { BusConnectError, BusError, DecodeError, NoRespondersError, RequestTimeoutError } from "./errors.js";
