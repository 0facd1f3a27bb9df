export type { Rng } from "./rng.js";
export { createRng, exponential, normal, poisson } from "./rng.js";
