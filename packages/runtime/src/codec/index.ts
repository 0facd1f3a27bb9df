export { toDomainAssignment, toPbAssignment } from "./assignment-codec.js";
export {
  toDomainAck,
  toDomainForecast,
  toDomainGatewayWindow,
  toDomainLoadSample,
  toDomainRegistryRecord,
  toDomainStageSample,
  toPbAck,
  toPbForecast,
  toPbGatewayMetrics,
  toPbLoadSample,
  toPbRegistryEntry,
  toPbStageMetrics,
} from "./control-codec.js";
