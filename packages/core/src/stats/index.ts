export { quantile, quantileOr, sortedQuantile } from "./quantile.js";
export { Samples } from "./samples.js";
