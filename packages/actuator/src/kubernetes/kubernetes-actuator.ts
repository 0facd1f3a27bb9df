import type { KubeConfig } from "@kubernetes/client-node";
import type { SlotTarget } from "@fulcrum/core/reconcile";
import type { Logger } from "@fulcrum/runtime";
import { Counter, type Registry } from "prom-client";
import { KubernetesActuationError, KubernetesApiError, ReplicaStartError, UnknownReplicaError } from "../errors.js";
import type { ActuatedReplica, Actuator, ReplicaSpec } from "../port.js";
import { KubeClient } from "./kube-client.js";
import { claimPatch, drainCostPatch, isClaimable, isLabelValue, isLive, K8S_KEYS, outranksOnScaleDown, type StagePod } from "./pods.js";

/** Options of {@link KubernetesActuator.connect}. */
export interface KubernetesActuatorOptions {
  /** Where the API is and who we are (in a pod: `loadFromCluster()`; elsewhere `loadFromDefault()`). */
  readonly kubeConfig: KubeConfig;
  readonly pipeline: string;
  /** Namespace of the stage Deployments. @default "fulcrum" */
  readonly namespace?: string;
  /**
   * This reconciler run's id (a label value): pods it claims carry it in `fulcrum.dev/run`, which
   * tells them from a previous run's (see {@link KubernetesActuator.retireStrays}).
   */
  readonly runId: string;
  /** Deployment of a (stage, variant). @default `stage-<stage>-<variant>` (the manifests' names) */
  readonly deploymentOf?: (stage: string, variant: string) => string;
  /** Name of the stage container in the pod template. @default "stage" */
  readonly container?: string;
  /** Period of the pod list that `list()` answers from, ms. @default 1000 */
  readonly refreshIntervalMs?: number;
  /** Period of the polls inside one action (a new pod, a pod gone, a resize applied), ms. @default 250 */
  readonly pollIntervalMs?: number;
  /** Longest wait for the ReplicaSet's new pod after a scale-up, ms. @default 60000 */
  readonly claimTimeoutMs?: number;
  /** Longest wait for the other pods of a Deployment to be ready before a scale-down, and for the chosen pod to be marked for deletion after it, ms. @default 10000 */
  readonly pickTimeoutMs?: number;
  /** Longest wait for a drained pod to be gone (its termination grace is 30 s in the manifests), ms. @default 60000 */
  readonly drainTimeoutMs?: number;
  /** Longest wait for the kubelet to apply an in-place resize, ms. @default 15000 */
  readonly resizeTimeoutMs?: number;
  /** Registry of `fulcrum_actuator_kubernetes_problems_total` (the reconciler's). @default none */
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Unix ms. @default Date.now */
  readonly clock?: () => number;
}

/** One replica this run claimed. */
interface Claimed {
  readonly instance: string;
  readonly stage: string;
  readonly variant: string;
  readonly deployment: string;
  /** The pod serving it. */
  pod: string;
  /** During a fallback rollout: the new pod that takes over (same instance) once the old one is gone. */
  successor?: string;
  readonly claimedAtMs: number;
  draining?: Promise<void>;
  /** Its unit of scale was given back (drained): forgetting it must not scale down again. */
  released?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The {@link Actuator} of per-variant stage Deployments on Kubernetes (`infra/k8s`): one
 * Deployment per (stage, variant), so a replica never changes variant in place.
 *
 * - **Replica ↔ pod.** Stage pods are created with the scheduling gate `fulcrum.dev/claim`, so no
 *   container starts before the actuator claims the pod: `start` scales the variant's Deployment up
 *   by one through the `scale` subresource, waits for the ReplicaSet's new (gated) pod, and claims
 *   it with one JSON Patch that labels it `fulcrum.dev/instance=<instance id>` and removes the gate
 *   (conditional on the gate still being there: two claims cannot take the same pod). The stage
 *   container reads its instance id from that label (downward API), so the replica registers,
 *   follows its placement and acks under the id the reconciler chose. A gated pod nobody claimed
 *   (the ReplicaSet's replacement of a pod that vanished) is claimed by the next start of that
 *   variant before any scale-up.
 * - **Cores.** `retarget` patches the pod's `resize` subresource (CPU request = limit, in place, no
 *   restart; Kubernetes ≥ 1.33) and waits for the kubelet to apply it. Where the API refuses
 *   (no such subresource, 403, 400/422) or the kubelet reports it `Infeasible`, it falls back to
 *   patching the Deployment's pod template CPU, which rolls every pod of the variant; the
 *   rollout's new pods are claimed for the instances of the old ones they replace (same id, so
 *   the reconciler sees one replica throughout), and the fallback is reported (log + metric).
 * - **Drain (no request lost).** The pod gets the lowest `controller.kubernetes.io/pod-deletion-cost`
 *   and the Deployment is scaled down by one, so its ReplicaSet deletes that pod: the kubelet sends
 *   SIGTERM and the stage drains as it always does (registry `draining` so the gateway stops
 *   routing to it, a grace, then it serves its queue, deregisters and exits) within the pod's
 *   termination grace. Not the NATS drain request: a stage that exits on it would be restarted
 *   by the kubelet. The ReplicaSet ranks unscheduled, pending and not-ready pods before the cost,
 *   so the scale-down waits (bounded) until the Deployment's other pods are ready, and if another
 *   pod was taken all the same the chosen pod is deleted directly (its replacement is gated and
 *   goes first on the next scale-down).
 * - **list** answers from a pod list refreshed every `refreshIntervalMs`; while the API is
 *   unreachable it keeps the last one (never reporting replicas dead because the API is away).
 * - **close** stops the refresh and leaves every pod serving: pods outlive the reconciler. The
 *   next run finds them as strays and retires them once its own replicas serve.
 *
 * Everything it could not do is an error with a stable code ({@link KubernetesApiError},
 * {@link KubernetesActuationError}), thrown to the reconcile loop (which logs it and plans again)
 * or, for what it does on its own, logged and counted in `fulcrum_actuator_kubernetes_problems_total`.
 */
export class KubernetesActuator implements Actuator {
  readonly name = "kubernetes";
  readonly capabilities = { inPlaceVariantChange: false };
  private readonly client: KubeClient;
  private readonly claimed = new Map<string, Claimed>();
  private pods = new Map<string, StagePod>();
  /** Start of the last pod list that succeeded, Unix ms (a pod claimed after it is not in the list yet). */
  private listedAtMs = 0;
  private refreshFailing = false;
  /** Deployments whose CPU is rolling out after a refused resize: the new cores, and the pods that were there before (the rollout replaces them). */
  private readonly rollouts = new Map<string, { readonly cores: number; readonly before: ReadonlySet<string> }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly problems: Counter<"operation" | "code"> | undefined;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;

  private constructor(private readonly o: KubernetesActuatorOptions) {
    this.client = new KubeClient(o.kubeConfig, o.namespace ?? "fulcrum", o.container ?? "stage");
    this.clock = o.clock ?? Date.now;
    const name = "fulcrum_actuator_kubernetes_problems_total";
    this.problems = o.registry
      ? ((o.registry.getSingleMetric(name) as Counter<"operation" | "code"> | undefined) ??
        new Counter({ name, help: "What the Kubernetes actuator could not do, by operation and error code.", labelNames: ["operation", "code"], registers: [o.registry] }))
      : undefined;
  }

  /** Creates the actuator and lists the pipeline's stage pods once (fails fast when the API refuses: RBAC, namespace). */
  static async connect(options: KubernetesActuatorOptions): Promise<KubernetesActuator> {
    if (!isLabelValue(options.runId) || options.runId === "") throw new KubernetesActuationError("K8S_BAD_INSTANCE", options.runId, "the run id must be a Kubernetes label value");
    const a = new KubernetesActuator(options);
    await a.refresh(true);
    a.timer = setInterval(() => void a.refresh(false), options.refreshIntervalMs ?? 1000);
    return a;
  }

  private get selector(): string {
    return `${K8S_KEYS.pipeline}=${this.o.pipeline},${K8S_KEYS.component}=stage`;
  }
  private deploymentOf(stage: string, variant: string): string {
    return this.o.deploymentOf ? this.o.deploymentOf(stage, variant) : `stage-${stage}-${variant}`;
  }
  private get poll(): number {
    return this.o.pollIntervalMs ?? 250;
  }

  /** Logs and counts something the actuator could not do on its own. */
  private report(operation: string, err: unknown, fields: Record<string, unknown> = {}): void {
    const code = (err as { code?: unknown }).code;
    this.problems?.inc({ operation, code: typeof code === "string" ? code : "UNKNOWN" });
    this.o.logger?.warn({ err, code, operation, ...fields }, `kubernetes actuator: ${operation} failed`);
  }

  /** Runs `work` after every earlier action on the same Deployment (scale read-modify-writes and claims never interleave). */
  private locked<T>(deployment: string, work: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(deployment) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => {});
    this.locks.set(deployment, tail);
    void tail.then(() => {
      if (this.locks.get(deployment) === tail) this.locks.delete(deployment);
    });
    return run;
  }

  /** Re-lists the pipeline's stage pods; on failure keeps the last list. */
  private async refresh(throwOnError: boolean): Promise<void> {
    const startedMs = this.clock();
    try {
      const pods = await this.client.listPods(this.selector);
      this.pods = new Map(pods.map((p) => [p.name, p]));
      this.listedAtMs = startedMs;
      if (this.refreshFailing) this.o.logger?.info("kubernetes actuator: pod list works again");
      this.refreshFailing = false;
    } catch (err) {
      if (throwOnError) throw err;
      // Once per burst: a down API would otherwise log every second.
      if (!this.refreshFailing) this.report("list pods", err, { keeping: "the last pod list" });
      this.refreshFailing = true;
      return;
    }
    for (const c of this.claimed.values()) {
      if (c.successor && !this.pods.has(c.pod) && this.pods.has(c.successor)) {
        c.pod = c.successor;
        c.successor = undefined;
      }
    }
    for (const [deployment, rollout] of this.rollouts) {
      await this.locked(deployment, () => this.followRollout(deployment, rollout)).catch((err: unknown) => this.report("follow rollout", err, { deployment }));
    }
  }

  private async podsOf(deployment: string): Promise<StagePod[]> {
    return this.client.listPods(`${K8S_KEYS.name}=${deployment}`);
  }

  /** Reads the scale and writes it moved by `delta` (conditional on its resourceVersion; one retry on 409). */
  private async scaleBy(deployment: string, delta: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.client.readScale(deployment);
      const replicas = Math.max(0, s.replicas + delta);
      try {
        await this.client.patchScale(deployment, replicas, s.resourceVersion);
        return replicas;
      } catch (err) {
        if (!(err instanceof KubernetesApiError && err.status === 409) || attempt > 0) throw err;
      }
    }
  }

  /** Polls `probe` until it returns a value or `timeoutMs` passes. */
  private async until<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = this.clock() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined || this.clock() >= deadline) return v;
      await sleep(this.poll);
    }
  }

  /**
   * Scales the variant's Deployment up by one and claims the new pod for `spec.instance` (a gated
   * pod nobody claimed is taken first, without scaling). Resolves once the pod is claimed (it is
   * scheduled and started by Kubernetes from then on; the registry says when it is ready).
   */
  async start(spec: ReplicaSpec): Promise<void> {
    if (this.closed) throw new ReplicaStartError(spec.instance, "the actuator is closed");
    if (this.claimed.has(spec.instance)) throw new ReplicaStartError(spec.instance, "already exists");
    if (!isLabelValue(spec.instance)) throw new KubernetesActuationError("K8S_BAD_INSTANCE", spec.instance, "not a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')");
    const deployment = this.deploymentOf(spec.stage, spec.target.variant);
    const pod = await this.locked(deployment, () => this.claimFor(spec, deployment));
    // Outside the Deployment's lock: a refused resize rolls the Deployment under that lock.
    if (pod.cpuMilli !== spec.target.cores * 1000) await this.setCores(spec.instance, spec.target.cores, false).catch((err: unknown) => this.report("resize new pod", err, { instance: spec.instance }));
  }

  private async claimFor(spec: ReplicaSpec, deployment: string): Promise<StagePod> {
    let scaled = false;
    const claimMs = this.o.claimTimeoutMs ?? 60_000;
    const deadline = this.clock() + claimMs;
    for (;;) {
      const pod = (await this.podsOf(deployment)).filter(isClaimable).sort((a, b) => a.createdMs - b.createdMs)[0];
      if (pod) {
        try {
          await this.client.patchPod(pod.name, claimPatch(spec.instance, this.o.runId));
        } catch (err) {
          // 422: the claim's test failed (the gate is gone: claimed by someone else); 404: the pod went. Try another.
          if (err instanceof KubernetesApiError && (err.status === 422 || err.status === 404)) continue;
          throw err;
        }
        this.claimed.set(spec.instance, { instance: spec.instance, stage: spec.stage, variant: spec.target.variant, deployment, pod: pod.name, claimedAtMs: this.clock() });
        this.o.logger?.info({ instance: spec.instance, pod: pod.name, deployment, scaledUp: scaled }, "kubernetes actuator: pod claimed");
        return pod;
      }
      if (!scaled) {
        await this.scaleBy(deployment, +1);
        scaled = true;
      } else if (this.clock() >= deadline) {
        await this.scaleBy(deployment, -1).catch((err: unknown) => this.report("scale back after a failed claim", err, { deployment }));
        throw new KubernetesActuationError("K8S_CLAIM_TIMEOUT", spec.instance, `no new pod of deployment ${deployment} to claim within ${claimMs} ms after scaling it up (quota? see kubectl -n ${this.client.namespace} describe rs)`);
      }
      await sleep(this.poll);
    }
  }

  /** Gives the replica `target.cores` CPUs in place; the variant never changes here (one Deployment per variant). */
  async retarget(instance: string, target: SlotTarget): Promise<void> {
    const c = this.claimed.get(instance);
    if (!c) throw new UnknownReplicaError(instance);
    if (target.variant !== c.variant) throw new KubernetesActuationError("K8S_VARIANT_PINNED", instance, `serves ${c.variant} (deployment ${c.deployment}); a variant change is a new replica of the other variant's Deployment`);
    await this.setCores(instance, target.cores, true);
  }

  /**
   * Resizes the replica's pod in place; where that is refused, rolls the Deployment's CPU instead
   * (reported). With `wait`, resolves once the kubelet applied the new CPU (or reports it deferred).
   */
  private async setCores(instance: string, cores: number, wait: boolean): Promise<void> {
    const c = this.claimed.get(instance);
    if (!c) throw new UnknownReplicaError(instance);
    let refusal: string;
    try {
      await this.client.resizePod(c.pod, cores);
      if (!wait) return;
      const timeoutMs = this.o.resizeTimeoutMs ?? 15_000;
      const outcome = await this.until(timeoutMs, async () => {
        const p = await this.client.readPod(c.pod);
        if (!p) return { gone: true } as const;
        if (p.resizePending?.reason === "Infeasible") return { infeasible: p.resizePending.message } as const;
        // Clusters that do not report applied resources (status.containerStatuses[].resources) are taken at their word.
        const applied = (p.appliedCpuMilli === undefined || p.appliedCpuMilli === cores * 1000) && !p.resizing && !p.resizePending;
        return applied ? ({ applied: true } as const) : undefined;
      });
      if (outcome === undefined) {
        this.report("resize", new KubernetesActuationError("K8S_RESIZE_DEFERRED", instance, `the kubelet has not applied ${cores} CPU to pod ${c.pod} within ${timeoutMs} ms (deferred: its node lacks room); it applies it once it can`));
        return;
      }
      if (!("infeasible" in outcome)) return;
      refusal = `the kubelet finds ${cores} CPU infeasible on its node: ${outcome.infeasible}`;
    } catch (err) {
      if (!(err instanceof KubernetesApiError) || ![400, 403, 404, 405, 415, 422].includes(err.status ?? 0)) throw err;
      refusal = err.message;
    }
    const e = new KubernetesActuationError("K8S_RESIZE_REFUSED", instance, `in-place resize of pod ${c.pod} to ${cores} CPU refused (${refusal}); rolling deployment ${c.deployment} to ${cores} CPU instead`);
    this.report("resize", e, { pod: c.pod, fallback: "rolling update" });
    await this.locked(c.deployment, async () => {
      const before = new Set((await this.podsOf(c.deployment)).map((p) => p.name));
      await this.client.patchDeploymentCpu(c.deployment, cores);
      this.rollouts.set(c.deployment, { cores, before });
    });
  }

  /**
   * A fallback rollout's new pods are gated like every stage pod: each is claimed for an instance
   * whose pod still has the old CPU (same id, so the reconciler sees one replica throughout), and
   * the old pod gets the lowest deletion cost so the rollout removes exactly it next.
   */
  private async followRollout(deployment: string, rollout: { readonly cores: number; readonly before: ReadonlySet<string> }): Promise<void> {
    const pods = await this.podsOf(deployment);
    const fresh = pods.filter((p) => isClaimable(p) && !rollout.before.has(p.name));
    const old = [...this.claimed.values()].filter((c) => c.deployment === deployment && !c.successor && !c.draining && rollout.before.has(c.pod));
    if (old.length === 0) {
      this.rollouts.delete(deployment);
      return;
    }
    for (const [i, pod] of fresh.entries()) {
      const c = old[i];
      if (!c) break;
      try {
        await this.client.patchPod(pod.name, claimPatch(c.instance, this.o.runId));
      } catch (err) {
        if (err instanceof KubernetesApiError && (err.status === 422 || err.status === 404)) continue;
        throw err;
      }
      c.successor = pod.name;
      await this.client.patchPod(c.pod, drainCostPatch()).catch((err: unknown) => this.report("deletion cost", err, { pod: c.pod }));
      this.o.logger?.info({ instance: c.instance, from: c.pod, to: pod.name, cores: rollout.cores }, "kubernetes actuator: rollout pod claimed for the replica it replaces");
    }
  }

  /**
   * Drains the replica: lowest deletion cost on its pod, Deployment scaled down by one, the pod
   * terminates (SIGTERM: the stage drains). Resolves once the pod is gone.
   */
  drain(instance: string): Promise<void> {
    const c = this.claimed.get(instance);
    if (!c) return Promise.reject(new UnknownReplicaError(instance));
    c.draining ??= (async () => {
      const target = await this.locked(c.deployment, () => this.releaseForDrain(c));
      // Outside the lock: the stage serves its queue meanwhile (up to its termination grace).
      const drainMs = this.o.drainTimeoutMs ?? 60_000;
      const gone = await this.until(drainMs, async () => {
        for (const name of new Set([target, c.pod])) if ((await this.client.readPod(name)) !== undefined) return undefined;
        return true;
      });
      if (!gone) throw new KubernetesActuationError("K8S_DRAIN_TIMEOUT", c.instance, `pod ${target} still exists ${drainMs} ms after its drain began (termination grace too long, or a finalizer)`);
    })();
    return c.draining;
  }

  /** Lowest deletion cost, scale down by one, check the ReplicaSet took that pod; resolves with the pod. */
  private async releaseForDrain(c: Claimed): Promise<string> {
    const target = c.successor ?? c.pod;
    const pickMs = this.o.pickTimeoutMs ?? 10_000;
    const mine = await this.client.readPod(target);
    if (!mine) {
      // Already gone: give its unit of scale back (the ReplicaSet's gated replacement goes first).
      await this.scaleBy(c.deployment, -1);
      c.released = true;
      return target;
    }
    if (mine.terminating) return target;
    await this.client.patchPod(target, drainCostPatch());
    // The ReplicaSet ranks unscheduled, pending and not-ready pods before the deletion cost.
    const clear = await this.until(pickMs, async () => {
      const others = (await this.podsOf(c.deployment)).filter((p) => p.name !== target && !p.terminating && isLive(p) && outranksOnScaleDown(p, mine));
      return others.length === 0 ? true : undefined;
    });
    if (!clear) this.o.logger?.warn({ instance: c.instance, pod: target, waitedMs: pickMs }, "kubernetes actuator: other pods of the deployment are still not ready; scaling down anyway");
    await this.scaleBy(c.deployment, -1);
    c.released = true;
    const picked = await this.until(pickMs, async () => {
      const p = await this.client.readPod(target);
      return !p || p.terminating ? true : undefined;
    });
    if (!picked) {
      this.report("drain", new KubernetesActuationError("K8S_DRAIN_OTHER_POD", c.instance, `the ReplicaSet removed another pod than ${target} on scale-down; deleting ${target} directly`));
      await this.client.deletePod(target);
    }
    return target;
  }

  list(): readonly ActuatedReplica[] {
    return [...this.claimed.values()].map((c) => {
      const pod = this.pods.get(c.pod);
      const next = c.successor ? this.pods.get(c.successor) : undefined;
      const unlisted = this.listedAtMs < c.claimedAtMs;
      const alive = unlisted || (pod !== undefined && isLive(pod)) || (next !== undefined && isLive(next));
      return {
        instance: c.instance,
        stage: c.stage,
        startedAtMs: c.claimedAtMs,
        alive,
        ...(alive ? {} : { exit: pod ? `pod ${c.pod} ${pod.phase}` : `pod ${c.pod} is gone` }),
        log: `kubectl -n ${this.client.namespace} logs ${c.pod}`,
      };
    });
  }

  /**
   * Forgets a replica. One whose pod vanished without a drain (evicted, deleted by hand) still
   * holds a unit of its Deployment's scale, now a gated replacement pod: the scale is given back
   * (the ReplicaSet removes the unscheduled replacement first).
   */
  forget(instance: string): void {
    const c = this.claimed.get(instance);
    if (!c) return;
    this.claimed.delete(instance);
    if (c.released || c.draining) return;
    const pod = this.pods.get(c.pod);
    if (pod && isLive(pod) && !pod.terminating) {
      this.o.logger?.warn({ instance, pod: c.pod }, "kubernetes actuator: forgetting a replica whose pod still runs; it is left as it is");
      return;
    }
    void this.locked(c.deployment, () => this.scaleBy(c.deployment, -1)).catch((err: unknown) => this.report("scale down after a lost pod", err, { instance, deployment: c.deployment }));
  }

  /**
   * Drains the pipeline's stage pods claimed by another reconciler run (a previous one: this run
   * cannot adopt them, the reconcile loop only tracks replicas it started). Call it once this
   * run's replicas serve. Resolves with the pods it retired; failures are reported and skipped.
   */
  async retireStrays(): Promise<string[]> {
    const strays = (await this.client.listPods(this.selector)).filter((p) => p.instance !== undefined && p.run !== this.o.runId && !p.terminating && isLive(p));
    const retired: string[] = [];
    for (const p of strays) {
      await this.locked(p.deployment, async () => {
        await this.client.patchPod(p.name, drainCostPatch());
        await this.scaleBy(p.deployment, -1);
      }).then(
        () => retired.push(p.name),
        (err: unknown) => this.report("retire a previous run's pod", err, { pod: p.name }),
      );
    }
    if (retired.length > 0) this.o.logger?.info({ pods: retired }, "kubernetes actuator: retired a previous run's pods");
    return retired;
  }

  /** Stops the pod list; waits for actions under way. Pods are left serving (they outlive the reconciler). */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      await Promise.allSettled([...this.locks.values()]);
    })();
    return this.closed;
  }
}
