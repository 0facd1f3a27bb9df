export type { Assignment, StageAssignment, VariantAllocation } from "./assignment.js";
export { totalCores } from "./assignment.js";
