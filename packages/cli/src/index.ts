/** @fulcrum/cli: the `fulcrum` command. */
export { buildProgram } from "./program.js";
