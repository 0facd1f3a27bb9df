/**
 * @fulcrum/core: Fulcrum's pure domain. No I/O, no clock, no process: time and randomness are
 * parameters. Areas are also importable as subpaths (`@fulcrum/core/rng`, `@fulcrum/core/policies`, …).
 */
export * from "./assignment/index.js";
export * from "./errors/index.js";
export * from "./rng/index.js";
