/**
 * `@fulcrum/actuator`: elastic replicas. The reconcile loop turns the Assignment in force into
 * running replicas through an {@link Actuator} (local child processes here; the port is what a
 * container or Kubernetes actuator implements), using the pure planning of `@fulcrum/core/reconcile`.
 * The Kubernetes actuator is the subpath `@fulcrum/actuator/kubernetes` (it loads the Kubernetes
 * client, which the local launcher does not need).
 */
export type { KubernetesActuationCode } from "./errors.js";
export { KubernetesActuationError, KubernetesApiError, ReplicaStartError, ServiceProcessError, UnknownReplicaError } from "./errors.js";
export type { LocalActuatorOptions } from "./local-actuator.js";
export { LocalActuator } from "./local-actuator.js";
export type { ReconcileMetrics } from "./metrics.js";
export { createReconcileMetrics } from "./metrics.js";
export type { ActuatedReplica, Actuator, ActuatorCapabilities, ReplicaSpec } from "./port.js";
export type { ElasticSnapshot, ReconcileLoop, ReconcileLoopOptions } from "./reconcile-loop.js";
export { DEFAULT_PASS_INTERVAL_MS, DEFAULT_START_TIMEOUT_MS, replacementBoundMs, startReconcileLoop } from "./reconcile-loop.js";
export type { ChildSpec, ManagedChild } from "./service-process.js";
export { compiledEntry, NODE_FLAGS, SERVICE_NODE_FLAGS, serviceNodeFlags, serviceSourceArgv, spawnService, stopChild, tail, waitReady } from "./service-process.js";
