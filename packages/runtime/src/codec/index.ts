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
