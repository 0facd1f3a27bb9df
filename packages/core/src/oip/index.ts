/**
 * `@fulcrum/core/oip`: the Open Inference Protocol parameters Fulcrum reads and writes, and their one
 * validation policy. Wire types stay in `@fulcrum/runtime` (`readFulcrumParams`, `oipParam`).
 */
export type { FulcrumRequestParams, OipParamLookup, OipParamValue } from "./parameters.js";
export { OIP_PARAM, readRequestParams } from "./parameters.js";
