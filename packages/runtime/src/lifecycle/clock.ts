import { performance } from "node:perf_hooks";

/**
 * Unix time in ms with sub-ms precision (`Date.now()` has 1 ms steps, too coarse for queue and
 * batch timings). The default clock services pass into their pure cores.
 */
export function unixClockMs(): number {
  return performance.timeOrigin + performance.now();
}
