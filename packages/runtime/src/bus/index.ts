export type { Bus, BusOptions, KvEntry, MessageMeta, Stoppable, SubscribeOptions, TypedKv } from "./bus.js";
export { connectBus } from "./bus.js";
export type { Codec } from "./codec.js";
export { BusConnectError, BusError, DecodeError, KvConflictError, NoRespondersError, RequestTimeoutError } from "./errors.js";
export { followAssignments, type AssignmentFollower, type AssignmentFollowerOptions, type AssignmentUpdate } from "./assignment-follower.js";
