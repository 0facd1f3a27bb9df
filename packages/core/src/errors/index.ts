export type { ErrorKind } from "./errors.js";
export { ERROR_KINDS, FulcrumError, InvalidArgumentError, NotFoundError } from "./errors.js";
