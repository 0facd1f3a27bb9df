/** The profiler's measuring adapter: times zoo variants through the stage's inference pool. */
export { ProfileOptionError } from "./errors.js";
export { batchInputs, copyInputs } from "./inputs.js";
export { loadAverage, machineInfo } from "./machine.js";
export { measurePoints } from "./measure-point.js";
export type { MeasuredPoint, PointBudget, PointInputs } from "./measure-point.js";
export { DEFAULT_MAX_SECONDS_PER_POINT, DEFAULT_PROFILE_BATCHES, DEFAULT_PROFILE_CORES, profileFamily } from "./profile-family.js";
export type { ProfileFamilyOptions, ProfileProgress } from "./profile-family.js";
