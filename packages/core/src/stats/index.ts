export { quantile, quantileOr, sortedQuantile } from "./quantile.js";
