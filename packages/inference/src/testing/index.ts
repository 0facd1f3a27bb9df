/** Test fixtures: a small seeded MLP written as ONNX, with a reference forward pass. */
export type { MlpModel, MlpSpec } from "./mlp-model.js";
export { buildMlpModel, mlpForward, writeMlpModel } from "./mlp-model.js";
