/**
 * @fulcrum/core: Fulcrum's pure domain. No I/O, no clock, no process: time and randomness are
 * parameters. Areas are importable as subpaths too (`@fulcrum/core/batching`, `@fulcrum/core/policies`,
 * …); the root re-exports the small shared ones.
 */
export * from "./assignment/index.js";
export * from "./errors/index.js";
export * from "./rng/index.js";
