import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { KubernetesApiError } from "../errors.js";
import { containerCpuPatch, scalePatch, toStagePod, type JsonPatchOp, type StagePod } from "./pods.js";

/** A Deployment's scale subresource as read. */
export interface DeploymentScale {
  readonly replicas: number;
  readonly resourceVersion?: string;
}

/** The Status object's `reason` and `message`, from an error body that may be a string or parsed JSON. */
function statusOf(body: unknown): { reason: string; message: string } {
  let b = body;
  if (typeof body === "string") {
    try {
      b = JSON.parse(body);
    } catch {
      return { reason: "", message: body.slice(0, 300) };
    }
  }
  const s = (b ?? {}) as { reason?: unknown; message?: unknown };
  return { reason: typeof s.reason === "string" ? s.reason : "", message: typeof s.message === "string" ? s.message : "" };
}

/**
 * The few Kubernetes API calls the actuator makes, in one namespace, through the official client
 * (`@kubernetes/client-node`), each turning a refusal into a {@link KubernetesApiError} whose code
 * follows the HTTP status. Patches name their type explicitly (the client's default would be JSON
 * Patch for every PATCH).
 */
export class KubeClient {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
    /** Name of the stage container in the pod template. */
    readonly container: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof ApiException) {
        const { reason, message } = statusOf(err.body);
        throw new KubernetesApiError(operation, err.code, reason, message, { cause: err });
      }
      throw new KubernetesApiError(operation, undefined, (err as Error).name ?? "Error", (err as Error).message ?? String(err), { cause: err });
    }
  }

  /** GET the Deployment's scale subresource. */
  async readScale(deployment: string): Promise<DeploymentScale> {
    const s = await this.call(`get deployments/${deployment}/scale`, () => this.apps.readNamespacedDeploymentScale({ name: deployment, namespace: this.namespace }));
    return { replicas: s.spec?.replicas ?? 0, ...(s.metadata?.resourceVersion ? { resourceVersion: s.metadata.resourceVersion } : {}) };
  }

  /** PATCH the Deployment's scale subresource (merge patch, conditional on `resourceVersion` when given: 409 if it moved). */
  async patchScale(deployment: string, replicas: number, resourceVersion: string | undefined): Promise<void> {
    await this.call(`patch deployments/${deployment}/scale`, () =>
      this.apps.patchNamespacedDeploymentScale({ name: deployment, namespace: this.namespace, body: scalePatch(replicas, resourceVersion) }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch)),
    );
  }

  /** LIST the stage pods matching a label selector. */
  async listPods(labelSelector: string): Promise<StagePod[]> {
    const list = await this.call(`list pods (${labelSelector})`, () => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }));
    return list.items.flatMap((p) => toStagePod(p, this.container) ?? []);
  }

  /** GET one pod; undefined once it is gone (404). */
  async readPod(name: string): Promise<StagePod | undefined> {
    try {
      const pod = await this.call(`get pods/${name}`, () => this.core.readNamespacedPod({ name, namespace: this.namespace }));
      return toStagePod(pod, this.container);
    } catch (err) {
      if (err instanceof KubernetesApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** PATCH a pod: a JSON Patch (array of operations) or a JSON merge patch (object). */
  async patchPod(name: string, body: JsonPatchOp[] | object): Promise<void> {
    const type = Array.isArray(body) ? PatchStrategy.JsonPatch : PatchStrategy.MergePatch;
    await this.call(`patch pods/${name}`, () => this.core.patchNamespacedPod({ name, namespace: this.namespace, body }, setHeaderOptions("Content-Type", type)));
  }

  /** PATCH the pod's `resize` subresource: the stage container's CPU request = limit, in place (Kubernetes ≥ 1.33). */
  async resizePod(name: string, cores: number): Promise<StagePod | undefined> {
    const pod = await this.call(`patch pods/${name}/resize`, () =>
      this.core.patchNamespacedPodResize({ name, namespace: this.namespace, body: containerCpuPatch(this.container, cores) }, setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch)),
    );
    return toStagePod(pod, this.container);
  }

  /** PATCH the Deployment's pod template CPU (strategic merge): Kubernetes rolls every pod of it. */
  async patchDeploymentCpu(deployment: string, cores: number): Promise<void> {
    await this.call(`patch deployments/${deployment}`, () =>
      this.apps.patchNamespacedDeployment(
        { name: deployment, namespace: this.namespace, body: { spec: { template: containerCpuPatch(this.container, cores) } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  /** DELETE a pod gracefully (SIGTERM, then its termination grace period). A pod already gone is not an error. */
  async deletePod(name: string): Promise<void> {
    try {
      await this.call(`delete pods/${name}`, () => this.core.deleteNamespacedPod({ name, namespace: this.namespace }));
    } catch (err) {
      if (!(err instanceof KubernetesApiError && err.status === 404)) throw err;
    }
  }
}
