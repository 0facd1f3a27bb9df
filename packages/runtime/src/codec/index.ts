export { toDomainAssignment, toPbAssignment } from "./assignment-codec.js";
export {
  toDomainAck,
  toDomainForecast,
  toDomainGatewayWindow,
  toDomainLoadSample,
  toDomainPlacement,
  toDomainRegistryRecord,
  toDomainStageSample,
  toPbAck,
  toPbForecast,
  toPbGatewayMetrics,
  toPbLoadSample,
  toPbPlacement,
  toPbRegistryEntry,
  toPbStageMetrics,
} from "./control-codec.js";
export { checkAssignmentLimits, WIRE_ASSIGNMENT_LIMITS, type AssignmentLimits, type MessageBounds } from "./limits.js";
export { Refusals, type RefusalLogger } from "./refusals.js";
