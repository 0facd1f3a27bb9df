/**
 * `@fulcrum/actuator/kubernetes`: the actuator of per-variant stage Deployments (a subpath, so
 * that the local launcher never loads the Kubernetes client).
 */
export type { KubernetesActuatorOptions } from "./kubernetes-actuator.js";
export { KubernetesActuator } from "./kubernetes-actuator.js";
export type { StagePod } from "./pods.js";
export { K8S_KEYS } from "./pods.js";
export { loadKubeConfig } from "./kube-config.js";
