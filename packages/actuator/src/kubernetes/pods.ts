import type { V1Pod } from "@kubernetes/client-node";

/**
 * Labels and annotations the Kubernetes actuator reads and writes. Stage pods carry the first five
 * from their Deployment's template (`infra/k8s/stage-*.yaml`); the actuator adds `instance` and
 * `run` when it claims a pod.
 */
export const K8S_KEYS = {
  /** Deployment name, on every pod of the Deployment (the selector). */
  name: "app.kubernetes.io/name",
  component: "app.kubernetes.io/component",
  pipeline: "fulcrum.dev/pipeline",
  stage: "fulcrum.dev/stage",
  variant: "fulcrum.dev/variant",
  /** The reconciler's instance id of a claimed pod; the stage reads it as `FULCRUM_STAGE_INSTANCE`. */
  instance: "fulcrum.dev/instance",
  /** The reconciler run that claimed the pod (tells a previous run's pods from this run's). */
  run: "fulcrum.dev/run",
  /** The scheduling gate every stage pod is created with; a claim removes it. */
  claimGate: "fulcrum.dev/claim",
  /** ReplicaSets remove the pod with the lowest cost first on scale-down (Kubernetes ≥ 1.22). */
  deletionCost: "controller.kubernetes.io/pod-deletion-cost",
} as const;

/** The lowest deletion cost (the annotation is an int32): a pod to drain goes before any other. */
export const DRAIN_DELETION_COST = String(-(2 ** 31));

/** What the actuator needs to know of one stage pod. */
export interface StagePod {
  readonly name: string;
  /** Its Deployment (label `app.kubernetes.io/name`). */
  readonly deployment: string;
  readonly stage: string;
  readonly variant: string;
  /** The reconciler instance it was claimed for; undefined while unclaimed. */
  readonly instance?: string;
  readonly run?: string;
  /** Still held by the claim gate (created by the ReplicaSet, not claimed yet, not schedulable). */
  readonly gated: boolean;
  /** Bound to a node. */
  readonly scheduled: boolean;
  /** Condition `Ready` is True. */
  readonly ready: boolean;
  /** Marked for deletion (SIGTERM sent or about to be: the stage drains). */
  readonly terminating: boolean;
  /** `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  readonly phase: string;
  /** CPU limit of the stage container in the pod's spec, millicores (what a resize asks for). */
  readonly cpuMilli?: number;
  /** CPU limit the kubelet reports as applied, millicores (Kubernetes ≥ 1.33). */
  readonly appliedCpuMilli?: number;
  /** Condition `PodResizePending` (reason `Infeasible` or `Deferred`), when present. */
  readonly resizePending?: { readonly reason: string; readonly message: string };
  /** Condition `PodResizeInProgress` is True. */
  readonly resizing: boolean;
  /** Creation time, Unix ms. */
  readonly createdMs: number;
}

/**
 * A Kubernetes CPU quantity (`"2"`, `"500m"`, `"1.5"`) in millicores; undefined for a missing or
 * unparsable one.
 */
export function cpuMilli(quantity: string | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "m" ? n : Math.round(n * 1000);
}

/** Whole cores as a CPU quantity (the stage's cores are intra-op threads: whole numbers). */
export const cpuQuantity = (cores: number): string => String(cores);

/** The stage pod view of a pod, or undefined when it is not a stage pod (no stage/variant labels). */
export function toStagePod(pod: V1Pod, container: string): StagePod | undefined {
  const labels = pod.metadata?.labels ?? {};
  const [name, deployment, stage, variant] = [pod.metadata?.name, labels[K8S_KEYS.name], labels[K8S_KEYS.stage], labels[K8S_KEYS.variant]];
  if (!name || !deployment || !stage || !variant) return undefined;
  const conditions = pod.status?.conditions ?? [];
  const condition = (type: string) => conditions.find((c) => c.type === type);
  const pending = condition("PodResizePending");
  const spec = pod.spec?.containers.find((c) => c.name === container);
  const applied = pod.status?.containerStatuses?.find((c) => c.name === container)?.resources?.limits?.cpu;
  const specCpu = cpuMilli(spec?.resources?.limits?.cpu);
  const appliedCpu = cpuMilli(applied);
  return {
    name,
    deployment,
    stage,
    variant,
    ...(labels[K8S_KEYS.instance] ? { instance: labels[K8S_KEYS.instance] } : {}),
    ...(labels[K8S_KEYS.run] ? { run: labels[K8S_KEYS.run] } : {}),
    gated: (pod.spec?.schedulingGates ?? []).some((g) => g.name === K8S_KEYS.claimGate),
    scheduled: Boolean(pod.spec?.nodeName),
    ready: condition("Ready")?.status === "True",
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    phase: pod.status?.phase ?? "Pending",
    ...(specCpu !== undefined ? { cpuMilli: specCpu } : {}),
    ...(appliedCpu !== undefined ? { appliedCpuMilli: appliedCpu } : {}),
    ...(pending && pending.status === "True" ? { resizePending: { reason: pending.reason ?? "", message: pending.message ?? "" } } : {}),
    resizing: condition("PodResizeInProgress")?.status === "True",
    createdMs: pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0,
  };
}

/** A pod still there to serve or drain (not finished, whatever its deletion mark). */
export const isLive = (p: StagePod): boolean => p.phase !== "Succeeded" && p.phase !== "Failed";

/** A pod a start may claim: created by the ReplicaSet, still gated, not claimed, not on its way out. */
export const isClaimable = (p: StagePod): boolean => p.gated && p.instance === undefined && !p.terminating && isLive(p);

/**
 * Whether the ReplicaSet would remove `other` before `chosen` on scale-down whatever their deletion
 * costs: it ranks unscheduled before scheduled, pending before running, and not-ready before ready
 * pods, and only then looks at the cost.
 */
export const outranksOnScaleDown = (other: StagePod, chosen: StagePod): boolean =>
  (!other.scheduled && chosen.scheduled) || (other.phase === "Pending" && chosen.phase !== "Pending") || (!other.ready && chosen.ready);

/** JSON label values: at most 63 characters, alphanumerics with `-`, `_`, `.` inside. */
export const isLabelValue = (v: string): boolean => v.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v);

/** A JSON Patch (RFC 6902) operation. */
export type JsonPatchOp = { op: "add" | "replace" | "test"; path: string; value: unknown } | { op: "remove"; path: string };

/** `/` and `~` escaped for a JSON Pointer segment (RFC 6901). */
const pointer = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The claim of a gated pod (JSON Patch): fails with 422 unless the gate is still there (another
 * claim won the race), labels the pod with its instance and run, and removes the gate so the pod
 * is scheduled. The stage's container starts only after that, so it reads its instance id from the
 * label through the downward API, deterministically.
 */
export function claimPatch(instance: string, run: string): JsonPatchOp[] {
  return [
    { op: "test", path: "/spec/schedulingGates", value: [{ name: K8S_KEYS.claimGate }] },
    { op: "add", path: `/metadata/labels/${pointer(K8S_KEYS.instance)}`, value: instance },
    { op: "add", path: `/metadata/labels/${pointer(K8S_KEYS.run)}`, value: run },
    { op: "remove", path: "/spec/schedulingGates" },
  ];
}

/** Makes `pod` the ReplicaSet's first pick on the next scale-down (JSON merge patch). */
export const drainCostPatch = (): object => ({ metadata: { annotations: { [K8S_KEYS.deletionCost]: DRAIN_DELETION_COST } } });

/** A scale subresource change (JSON merge patch); `resourceVersion` makes it fail with 409 if the scale moved since it was read. */
export const scalePatch = (replicas: number, resourceVersion: string | undefined): object => ({
  ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
  spec: { replicas },
});

/** CPU request = limit of one container (strategic merge patch: containers merge by name), for `pods/resize` and Deployment templates alike. */
export const containerCpuPatch = (container: string, cores: number): { spec: { containers: object[] } } => ({
  spec: { containers: [{ name: container, resources: { requests: { cpu: cpuQuantity(cores) }, limits: { cpu: cpuQuantity(cores) } } }] },
});
