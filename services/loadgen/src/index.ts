/** @fulcrum/loadgen: replays per-second rate traces (Poisson arrivals, per-request SLOs) against the gateway and accounts for every request. */
export { loadgenConfigSchema, loadLoadgenConfig, type LoadgenConfig } from "./config.js";
export { profileOf, startLoadgen, type LoadgenDeps, type LoadgenReport, type LoadgenRun } from "./loadgen.js";
