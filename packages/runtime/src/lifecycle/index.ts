export type { Lifecycle, LifecycleOptions, LifecycleState } from "./lifecycle.js";
export { createLifecycle, launcherPid } from "./lifecycle.js";
export { unixClockMs } from "./clock.js";
