import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, testNatsUrl, type Bus, type TypedKv } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReconcileMetrics, startReconcileLoop } from "../src/index.js";
import { KubernetesActuator } from "../src/kubernetes/index.js";
import { FakeKubeApi } from "./fake-kube-api.js";

/**
 * The reconcile loop driving the Kubernetes actuator, over real NATS (KV placements, registry,
 * Assignments) and a fake Kubernetes API over real HTTP. The stage pods' side is simulated the
 * way a stage behaves: each claimed, running pod heartbeats a `ready` registry entry under its
 * instance label, with the CPU of its spec.
 */
describe("reconcile loop + KubernetesActuator (real NATS, fake Kubernetes API)", () => {
  const pipeline = `k8s${Date.now().toString(36)}`;
  let bus: Bus;
  let api: FakeKubeApi;
  let registryKv: TypedKv;
  let heartbeat: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "actuator-k8s-test" });
    api = await new FakeKubeApi("fulcrum", pipeline).start();
    api.addDeployment("classifier", "mlp");
    api.addDeployment("classifier", "linear");
    registryKv = await bus.kv(KV_BUCKETS.registry);
    heartbeat = setInterval(() => {
      // One instant for every time below: started ≤ ready ≤ heartbeat, which the codec checks.
      const now = Date.now();
      for (const pod of api.pods.values()) {
        const instance = pod.metadata.labels["fulcrum.dev/instance"];
        if (!instance || pod.metadata.deletionTimestamp || !pod.spec.nodeName) continue;
        void registryKv.put(kvKeys.registry(pipeline, "classifier", instance), control.RegistryEntry, {
          pipeline,
          stage: "classifier",
          instance,
          address: "10.0.0.1:8001",
          variant: pod.metadata.labels["fulcrum.dev/variant"],
          cores: Number(pod.spec.containers[0].resources.limits.cpu),
          batch: 8,
          assignmentVersion: 0,
          heartbeatUnixMs: now,
          startedUnixMs: now,
          readyUnixMs: now,
          state: "ready",
          variants: [pod.metadata.labels["fulcrum.dev/variant"]],
        });
      }
    }, 100);
  });
  afterAll(async () => {
    clearInterval(heartbeat);
    await api?.stop();
    await bus?.drain();
  });

  it("bootstraps a replica (scale-up + claim), resizes it in place for a cores change, and moves to another variant by starting its Deployment's pod before draining the old one", async () => {
    const metrics = createReconcileMetrics();
    const actuator = await KubernetesActuator.connect({ kubeConfig: api.kubeConfig(), pipeline, runId: "t1", refreshIntervalMs: 50, pollIntervalMs: 10, registry: metrics.registry });
    const loop = await startReconcileLoop({
      pipeline,
      bus,
      actuator,
      coreBudget: 4,
      bootstrap: { classifier: [{ variant: "mlp", cores: 1, batchSize: 8 }] },
      instancePrefix: "t1-",
      passIntervalMs: 100,
      metrics,
    });
    const instanceOf = (variant: string) => [...api.pods.values()].find((p) => p.metadata.labels["fulcrum.dev/variant"] === variant && p.metadata.labels["fulcrum.dev/instance"])?.metadata.labels["fulcrum.dev/instance"];
    try {
      await expect.poll(() => loop.snapshot().byVariant["classifier/mlp"]?.ready, { timeout: 10_000 }).toBe(1);
      expect(instanceOf("mlp")).toBe("classifier-t1-0");
      expect(api.deployments.get("stage-classifier-mlp")!.replicas).toBe(1);
      const placements = await bus.kv(KV_BUCKETS.placements);
      const placed = async () => {
        const p = await placements.get(kvKeys.placement(pipeline, "classifier", "classifier-t1-0"), control.ReplicaPlacement);
        return p && `${p.variant}/${p.cores}/${p.batch}`;
      };
      expect(await placed()).toBe("mlp/1/8");
      expect(await metrics.registry.getSingleMetricAsString("fulcrum_actuator_cold_starts_total")).toContain(`fulcrum_actuator_cold_starts_total{pipeline="${pipeline}",stage="classifier",variant="mlp"} 1`);

      // As the optimizer does: the KV entry (the version authority) first, then the broadcast.
      const assignments = await bus.kv(KV_BUCKETS.assignments);
      const publish = async (version: number, variants: control.VariantAllocation[]): Promise<void> => {
        const pb = { pipeline, version, policy: "test", createdUnixMs: Date.now(), reason: "", stages: [{ stage: "classifier", variants }] };
        await assignments.put(kvKeys.assignment(pipeline), control.Assignment, pb);
        bus.publish(subjects.assignment(pipeline), control.Assignment, pb);
      };
      await publish(1, [{ variant: "mlp", weight: 1, batch: 4, coresPerReplica: 2, replicas: 1 }]);
      await expect.poll(() => api.requests.some((r) => r.path.endsWith("/resize") && JSON.stringify(r.body).includes('"cpu":"2"')), { timeout: 10_000 }).toBe(true);
      await expect.poll(placed, { timeout: 10_000 }).toBe("mlp/2/4");
      expect(api.deployments.get("stage-classifier-mlp")!.replicas).toBe(1);

      // Another variant: one Deployment per variant, so a new replica of linear, then mlp's is drained.
      await publish(2, [{ variant: "linear", weight: 1, batch: 8, coresPerReplica: 1, replicas: 1 }]);
      await expect.poll(() => api.deployments.get("stage-classifier-mlp")!.replicas, { timeout: 15_000 }).toBe(0);
      expect(api.deployments.get("stage-classifier-linear")!.replicas).toBe(1);
      await expect.poll(() => instanceOf("linear"), { timeout: 10_000 }).toBe("classifier-t1-1");
      await expect.poll(() => [...api.pods.values()].filter((p) => p.metadata.labels["fulcrum.dev/variant"] === "mlp").length, { timeout: 10_000 }).toBe(0);
      await expect.poll(() => loop.snapshot().replicas.map((r) => `${r.variant}:${r.phase}`), { timeout: 10_000 }).toEqual(["linear:ready"]);
      // The drain went through the deletion cost and the scale subresource, not a pod DELETE.
      expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);
      const costs = api.requests.filter((r) => r.method === "PATCH" && JSON.stringify(r.body).includes("pod-deletion-cost"));
      expect(costs).toHaveLength(1);
    } finally {
      await loop.stop();
      await actuator.close();
    }
  });
});
