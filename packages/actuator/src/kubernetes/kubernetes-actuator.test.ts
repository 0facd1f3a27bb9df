import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeKubeApi } from "../../test/fake-kube-api.js";
import { KubernetesActuationError, KubernetesApiError, UnknownReplicaError } from "../errors.js";
import { KubernetesActuator, type KubernetesActuatorOptions } from "./kubernetes-actuator.js";

const NS = "/namespaces/fulcrum";
const SCALE = `/apis/apps/v1${NS}/deployments/stage-classifier-mlp/scale`;
const target = (cores = 1, variant = "mlp") => ({ variant, cores, batchSize: 8 });
const spec = (instance: string, cores = 1, variant = "mlp") => ({ pipeline: "fashion", stage: "classifier", instance, target: target(cores, variant) });

describe("KubernetesActuator against a fake Kubernetes API (real HTTP, the client library's requests)", () => {
  let api: FakeKubeApi;
  let registry: Registry;
  let actuator: KubernetesActuator | undefined;
  const connect = async (o: Partial<KubernetesActuatorOptions> = {}): Promise<KubernetesActuator> => {
    actuator = await KubernetesActuator.connect({
      kubeConfig: api.kubeConfig(),
      pipeline: "fashion",
      runId: "run1",
      refreshIntervalMs: 20,
      pollIntervalMs: 5,
      claimTimeoutMs: 300,
      pickTimeoutMs: 200,
      drainTimeoutMs: 1000,
      resizeTimeoutMs: 300,
      registry,
      ...o,
    });
    return actuator;
  };
  const problems = async (): Promise<string> => (await registry.getSingleMetricAsString("fulcrum_actuator_kubernetes_problems_total")).split("\n").filter((l) => !l.startsWith("#")).join("\n");
  const podOf = (instance: string) => [...api.pods.values()].find((p) => p.metadata.labels["fulcrum.dev/instance"] === instance);

  beforeEach(async () => {
    api = await new FakeKubeApi().start();
    api.addDeployment("classifier", "mlp");
    api.addDeployment("classifier", "linear");
    registry = new Registry();
  });
  afterEach(async () => {
    await actuator?.close();
    actuator = undefined;
    await api.stop();
  });

  it("start: scales the variant's Deployment up by one through the scale subresource, then claims the new pod with one conditional JSON Patch", async () => {
    const a = await connect();
    expect(a.capabilities.inPlaceVariantChange).toBe(false);
    await a.start(spec("classifier-r1-0"));
    expect(api.calls()).toEqual([`GET ${SCALE}`, `PATCH ${SCALE}`, expect.stringMatching(/^PATCH \/api\/v1\/namespaces\/fulcrum\/pods\/stage-classifier-mlp-/)]);
    const scale = api.requests.find((r) => r.method === "PATCH" && r.path === SCALE)!;
    expect(scale.contentType).toBe("application/merge-patch+json");
    expect(scale.body).toEqual({ metadata: { resourceVersion: "1" }, spec: { replicas: 1 } });
    expect(scale.authorization).toBe("Bearer test-token");
    const claim = api.requests.find((r) => r.method === "PATCH" && r.path.includes("/pods/"))!;
    expect(claim.contentType).toBe("application/json-patch+json");
    expect(claim.body).toEqual([
      { op: "test", path: "/spec/schedulingGates", value: [{ name: "fulcrum.dev/claim" }] },
      { op: "add", path: "/metadata/labels/fulcrum.dev~1instance", value: "classifier-r1-0" },
      { op: "add", path: "/metadata/labels/fulcrum.dev~1run", value: "run1" },
      { op: "remove", path: "/spec/schedulingGates" },
    ]);
    // The pods the actuator lists are the pipeline's stage pods.
    expect(api.requests.find((r) => r.path.endsWith("/pods"))!.query.labelSelector).toBe("fulcrum.dev/pipeline=fashion,app.kubernetes.io/component=stage");
    expect(api.deployments.get("stage-classifier-mlp")!.replicas).toBe(1);
    expect(podOf("classifier-r1-0")!.spec.schedulingGates).toBeUndefined();
    expect(a.list()).toEqual([expect.objectContaining({ instance: "classifier-r1-0", stage: "classifier", alive: true })]);
    await expect(a.start(spec("classifier-r1-0"))).rejects.toThrow("already exists");
  });

  it("start: a gated pod nobody claimed (the ReplicaSet's replacement) is claimed without scaling; a claim that lost its race (422) moves to another pod", async () => {
    const a = await connect();
    api.addPod("stage-classifier-mlp");
    api.deployments.get("stage-classifier-mlp")!.replicas = 1;
    await a.start(spec("classifier-r1-0"));
    expect(api.calls().filter((c) => c.includes("/scale"))).toEqual([]);

    // Two gated pods; the first claim fails its test (someone else took the pod meanwhile).
    api.addPod("stage-classifier-linear");
    api.addPod("stage-classifier-linear");
    api.injected.push({ method: "PATCH", path: /\/pods\/stage-classifier-linear-/, status: 422, reason: "Invalid", message: "testing value /spec/schedulingGates failed" });
    await a.start(spec("classifier-r1-1", 1, "linear"));
    const claims = api.requests.filter((r) => r.method === "PATCH" && r.path.includes("/pods/stage-classifier-linear-"));
    expect(claims).toHaveLength(2);
    expect(podOf("classifier-r1-1")).toBeDefined();
  });

  it("start: a scale write that raced another (409) is re-read and retried once; refusals surface with their code and operation", async () => {
    const a = await connect();
    api.injected.push({ method: "PATCH", path: /\/scale$/, status: 409, reason: "Conflict", message: "the object has been modified" });
    await a.start(spec("classifier-r1-0"));
    expect(api.calls().filter((c) => c.includes("/scale"))).toEqual([`GET ${SCALE}`, `PATCH ${SCALE}`, `GET ${SCALE}`, `PATCH ${SCALE}`]);

    api.injected.push({ method: "PATCH", path: /\/scale$/, status: 403, reason: "Forbidden", message: 'deployments.apps "stage-classifier-mlp" is forbidden: User "system:serviceaccount:fulcrum:fulcrum-actuator" cannot patch resource "deployments/scale"' });
    const err = await a.start(spec("classifier-r1-1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err).toMatchObject({ code: "K8S_FORBIDDEN", kind: "failed-precondition", status: 403, operation: "patch deployments/stage-classifier-mlp/scale" });
    expect((err as Error).message).toContain("cannot patch resource");

    const missing = await a.start(spec("classifier-r1-2", 1, "cnn-deep")).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "K8S_NOT_FOUND", operation: "get deployments/stage-classifier-cnn-deep/scale" });
    await expect(a.start(spec("not a label"))).rejects.toMatchObject({ code: "K8S_BAD_INSTANCE" });
  });

  it("start: no pod to claim in time → K8S_CLAIM_TIMEOUT, and the scale is given back", async () => {
    const a = await connect({ claimTimeoutMs: 60 });
    api.createPodsOnScaleUp = false;
    await expect(a.start(spec("classifier-r1-0"))).rejects.toMatchObject({ code: "K8S_CLAIM_TIMEOUT", kind: "deadline-exceeded" });
    const writes = api.requests.filter((r) => r.method === "PATCH" && r.path === SCALE).map((r) => (r.body as { spec: { replicas: number } }).spec.replicas);
    expect(writes).toEqual([1, 0]);
    expect(a.list()).toEqual([]);
  });

  it("start with more cores than the template: the claimed pod is resized in place (pods/resize, strategic merge)", async () => {
    const a = await connect();
    await a.start(spec("classifier-r1-0", 2));
    const resize = api.requests.find((r) => r.path.endsWith("/resize"))!;
    expect(resize.method).toBe("PATCH");
    expect(resize.contentType).toBe("application/strategic-merge-patch+json");
    expect(resize.body).toEqual({ spec: { containers: [{ name: "stage", resources: { requests: { cpu: "2" }, limits: { cpu: "2" } } }] } });
    expect(podOf("classifier-r1-0")!.spec.containers[0].resources.limits.cpu).toBe("2");
  });

  it("retarget: resizes in place and waits for the kubelet to apply it; a variant change is refused (one Deployment per variant)", async () => {
    const a = await connect();
    await a.start(spec("classifier-r1-0"));
    await a.retarget("classifier-r1-0", target(3));
    const pod = podOf("classifier-r1-0")!;
    expect(api.calls().slice(-2)).toEqual([`PATCH /api/v1${NS}/pods/${pod.metadata.name}/resize`, `GET /api/v1${NS}/pods/${pod.metadata.name}`]);
    expect(pod.status.containerStatuses[0].resources.limits.cpu).toBe("3");
    await expect(a.retarget("classifier-r1-0", target(1, "linear"))).rejects.toMatchObject({ code: "K8S_VARIANT_PINNED", kind: "invalid-argument" });
    await expect(a.retarget("nobody", target(1))).rejects.toBeInstanceOf(UnknownReplicaError);
  });

  it("retarget: a resize the kubelet defers is reported (K8S_RESIZE_DEFERRED), not a silent success", async () => {
    const a = await connect({ resizeTimeoutMs: 50 });
    await a.start(spec("classifier-r1-0"));
    api.resize = "deferred";
    await a.retarget("classifier-r1-0", target(2));
    expect(await problems()).toContain('fulcrum_actuator_kubernetes_problems_total{operation="resize",code="K8S_RESIZE_DEFERRED"} 1');
  });

  for (const refusal of ["404 (no resize subresource: Kubernetes < 1.33)", "Infeasible (the kubelet refuses)"] as const) {
    it(`retarget: resize refused, ${refusal} → the Deployment's CPU is rolled instead, reported, and the rollout's pod is claimed for the same replica`, async () => {
      const a = await connect();
      await a.start(spec("classifier-r1-0"));
      const old = podOf("classifier-r1-0")!;
      if (refusal.startsWith("404")) api.injected.push({ method: "PATCH", path: /\/resize$/, status: 404, reason: "NotFound", message: "the server could not find the requested resource" });
      else api.resize = "infeasible";
      await a.retarget("classifier-r1-0", target(2));
      const rollout = api.requests.find((r) => r.method === "PATCH" && r.path === `/apis/apps/v1${NS}/deployments/stage-classifier-mlp`)!;
      expect(rollout.contentType).toBe("application/strategic-merge-patch+json");
      expect(rollout.body).toEqual({ spec: { template: { spec: { containers: [{ name: "stage", resources: { requests: { cpu: "2" }, limits: { cpu: "2" } } }] } } } });
      expect(await problems()).toContain('fulcrum_actuator_kubernetes_problems_total{operation="resize",code="K8S_RESIZE_REFUSED"} 1');
      // The rollout's new (gated) pod is claimed under the same instance; the old pod goes first.
      await expect.poll(() => [...api.pods.values()].filter((p) => p.metadata.labels["fulcrum.dev/instance"] === "classifier-r1-0").length, { timeout: 2000 }).toBe(2);
      await expect.poll(() => old.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"], { timeout: 2000 }).toBe("-2147483648");
      const successor = [...api.pods.values()].find((p) => p !== old && p.metadata.labels["fulcrum.dev/instance"] === "classifier-r1-0")!;
      expect(successor.spec.containers[0].resources.limits.cpu).toBe("2");
      // The rollout deletes the old pod: the replica lives on in its successor.
      old.metadata.deletionTimestamp = new Date().toISOString();
      api.pods.delete(old.metadata.name);
      await new Promise((r) => setTimeout(r, 80));
      expect(a.list()).toEqual([expect.objectContaining({ instance: "classifier-r1-0", alive: true, log: `kubectl -n fulcrum logs ${successor.metadata.name}` })]);
    });
  }

  it("drain: lowest deletion cost on the pod, scale down by one, the ReplicaSet deletes exactly that pod; resolves once it is gone", async () => {
    const a = await connect();
    await a.start(spec("classifier-r1-0"));
    await a.start(spec("classifier-r1-1"));
    const chosen = podOf("classifier-r1-0")!;
    const n = api.requests.length;
    await a.drain("classifier-r1-0");
    const after = api.requests.slice(n).filter((r) => r.method === "PATCH");
    expect(after.map((r) => r.path)).toEqual([`/api/v1${NS}/pods/${chosen.metadata.name}`, SCALE]);
    expect(after[0]!.contentType).toBe("application/merge-patch+json");
    expect(after[0]!.body).toEqual({ metadata: { annotations: { "controller.kubernetes.io/pod-deletion-cost": "-2147483648" } } });
    expect(after[1]!.body).toEqual({ metadata: { resourceVersion: expect.any(String) }, spec: { replicas: 1 } });
    expect(api.pods.has(chosen.metadata.name)).toBe(false);
    expect(podOf("classifier-r1-1")).toBeDefined();
    expect(api.requests.slice(n).some((r) => r.method === "DELETE")).toBe(false);
    // Forgetting a drained replica does not scale down again.
    a.forget("classifier-r1-0");
    await new Promise((r) => setTimeout(r, 50));
    expect(api.deployments.get("stage-classifier-mlp")!.replicas).toBe(1);
    await expect(a.drain("classifier-r1-0")).rejects.toBeInstanceOf(UnknownReplicaError);
  });

  it("drain: when the ReplicaSet removes another pod (one not ready outranks the cost), the chosen pod is deleted directly and it is reported", async () => {
    const a = await connect({ pickTimeoutMs: 40 });
    await a.start(spec("classifier-r1-0"));
    await a.start(spec("classifier-r1-1"));
    const other = podOf("classifier-r1-1")!;
    other.status.conditions = [{ type: "Ready", status: "False" }];
    const chosen = podOf("classifier-r1-0")!;
    await a.drain("classifier-r1-0");
    expect(api.requests.some((r) => r.method === "DELETE" && r.path === `/api/v1${NS}/pods/${chosen.metadata.name}`)).toBe(true);
    expect(api.pods.has(chosen.metadata.name)).toBe(false);
    expect(await problems()).toContain('code="K8S_DRAIN_OTHER_POD"');
  });

  it("drain: a pod that never goes → K8S_DRAIN_TIMEOUT", async () => {
    const a = await connect({ drainTimeoutMs: 60 });
    await a.start(spec("classifier-r1-0"));
    api.terminationMs = 10_000;
    await expect(a.drain("classifier-r1-0")).rejects.toMatchObject({ code: "K8S_DRAIN_TIMEOUT" });
  });

  it("list: keeps the last pod list while the API is away, reports a vanished pod dead; forgetting it gives its unit of scale back", async () => {
    const a = await connect();
    await a.start(spec("classifier-r1-0"));
    await a.start(spec("classifier-r1-1"));
    await new Promise((r) => setTimeout(r, 60));
    api.injected.push({ method: "GET", path: /\/pods$/, status: 503, reason: "ServiceUnavailable", message: "etcd leader changed", times: 1000 });
    await new Promise((r) => setTimeout(r, 80));
    expect(a.list().every((r) => r.alive)).toBe(true);
    expect(await problems()).toContain('fulcrum_actuator_kubernetes_problems_total{operation="list pods",code="K8S_API_UNAVAILABLE"} 1');
    api.injected.length = 0;
    const gone = podOf("classifier-r1-0")!;
    api.pods.delete(gone.metadata.name); // evicted; this ReplicaSet does not replace it
    await expect.poll(() => a.list().find((r) => r.instance === "classifier-r1-0")?.alive, { timeout: 2000 }).toBe(false);
    expect(a.list().find((r) => r.instance === "classifier-r1-0")!.exit).toBe(`pod ${gone.metadata.name} is gone`);
    a.forget("classifier-r1-0");
    await expect.poll(() => api.deployments.get("stage-classifier-mlp")!.replicas, { timeout: 2000 }).toBe(1);
    expect(a.list().map((r) => r.instance)).toEqual(["classifier-r1-1"]);
  });

  it("retireStrays: a previous run's pods get the lowest cost and their Deployment one replica less each; this run's are kept", async () => {
    const previous = await connect({ runId: "run0" });
    await previous.start(spec("classifier-r0-0"));
    await previous.close();
    const a = await connect();
    await a.start(spec("classifier-r1-0"));
    const stray = podOf("classifier-r0-0")!;
    expect(await a.retireStrays()).toEqual([stray.metadata.name]);
    expect(stray.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"]).toBe("-2147483648");
    await expect.poll(() => api.pods.has(stray.metadata.name), { timeout: 2000 }).toBe(false);
    expect(podOf("classifier-r1-0")).toBeDefined();
    expect(api.deployments.get("stage-classifier-mlp")!.replicas).toBe(1);
  });

  it("connect fails fast when the API refuses the pod list (RBAC), naming the operation; close leaves pods serving", async () => {
    api.injected.push({ method: "GET", path: /\/pods$/, status: 403, reason: "Forbidden", message: 'pods is forbidden: User "system:anonymous" cannot list resource "pods"' });
    const err = await connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect((err as Error).message).toBe(
      'Kubernetes API: list pods (fulcrum.dev/pipeline=fashion,app.kubernetes.io/component=stage): 403 Forbidden: pods is forbidden: User "system:anonymous" cannot list resource "pods"',
    );
    const a = await connect();
    await a.start(spec("classifier-r1-0"));
    await a.close();
    expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);
    expect(podOf("classifier-r1-0")).toBeDefined();
    await expect(a.start(spec("classifier-r1-1"))).rejects.toThrow("the actuator is closed");
    expect(new KubernetesActuationError("K8S_CLAIM_TIMEOUT", "x", "m").message).toBe("replica x: m");
  });
});
