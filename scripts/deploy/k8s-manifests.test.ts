import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { K8S_KEYS } from "@fulcrum/actuator/kubernetes";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { formatIssues, loadManifests, validateManifest, type ManifestDocument } from "./k8s-validate.js";

const K8S_DIR = fileURLToPath(new URL("../../infra/k8s/", import.meta.url));
const EXAMPLE_SPEC = fileURLToPath(new URL("../../services/optimizer/examples/fashion.yaml", import.meta.url));
const docs = loadManifests(K8S_DIR);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are untyped YAML
const byKind = (kind: string): Obj[] => docs.filter((d) => d.object.kind === kind).map((d) => d.object as Obj);
const envOf = (c: Obj): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
const fulcrumDeployments = byKind("Deployment").filter((d) => d.spec.template.spec.containers[0].image === "fulcrum:latest");

describe("Kubernetes manifests (infra/k8s)", () => {
  it("every document is valid against the Kubernetes API schema, with no unknown field", async () => {
    expect(docs.length).toBeGreaterThan(10);
    const issues = (await Promise.all(docs.map(validateManifest))).flat();
    expect(formatIssues(issues)).toBe("");
  });

  it("reports a bad field with its document and path", async () => {
    const good = docs.find((d) => d.object.kind === "Deployment")!;
    const bad: ManifestDocument = structuredClone(good);
    const container = (bad.object as Obj).spec.template.spec.containers[0];
    container.ports[0].containerPort = "eight-thousand";
    delete (bad.object as Obj).spec.selector;
    const text = formatIssues(await validateManifest(bad));
    expect(text).toContain(`${good.file}#${good.index} Deployment/`);
    expect(text).toContain("/spec/template/spec/containers/0/ports/0/containerPort: must be integer");
    expect(text).toContain("/spec/selector: must have required property selector");
    // An unknown field is found on an otherwise valid document (a typo would otherwise be ignored).
    const typo: ManifestDocument = structuredClone(good);
    const c = (typo.object as Obj).spec.template.spec.containers[0];
    c.resizePolicys = c.resizePolicy;
    expect(formatIssues(await validateManifest(typo))).toBe(
      `${good.file}#${good.index} Deployment/${(good.object as Obj).metadata.name}: /spec/template/spec/containers/0/resizePolicys: unknown field (not in the Kubernetes API schema)`,
    );
    const unknownKind = await validateManifest({ file: "x.yaml", index: 0, object: { apiVersion: "v1", kind: "Podd", metadata: { name: "p" } } });
    expect(formatIssues(unknownKind)).toBe("x.yaml#0 Podd/p: /kind: v1 Podd is not a Kubernetes API kind known to kubernetes-models");
  });

  it("kustomization.yaml lists exactly the manifest files", () => {
    const k = parseYaml(readFileSync(`${K8S_DIR}kustomization.yaml`, "utf8")) as { resources: string[] };
    expect([...k.resources].sort()).toEqual([...new Set(docs.map((d) => d.file))].sort());
  });

  it("everything lives in namespace fulcrum; RBAC is a namespaced Role, no cluster-wide rights", () => {
    for (const d of docs) if (d.object.kind !== "Namespace") expect((d.object as Obj).metadata.namespace, `${d.file}#${d.index}`).toBe("fulcrum");
    expect(docs.filter((d) => String(d.object.kind).startsWith("Cluster"))).toEqual([]);
  });

  it("one stage Deployment per variant of the pipeline spec, with in-place CPU resize, gated pods claimed by the reconciler, pinned to their variant", () => {
    const spec = parseYaml(readFileSync(EXAMPLE_SPEC, "utf8")) as { stages: Array<{ name: string; variants: Array<{ name: string }> }> };
    const stages = fulcrumDeployments.filter((d) => envOf(d.spec.template.spec.containers[0]).FULCRUM_SERVICE === "stage");
    const pairs = stages.map((d) => { const e = envOf(d.spec.template.spec.containers[0]); return `${e.FULCRUM_STAGE_STAGE}/${e.FULCRUM_STAGE_VARIANT}`; });
    expect(pairs.sort()).toEqual(spec.stages.flatMap((s) => s.variants.map((v) => `${s.name}/${v.name}`)).sort());
    for (const d of stages) {
      const c = d.spec.template.spec.containers[0];
      expect(d.metadata.name).toBe(`stage-${envOf(c).FULCRUM_STAGE_STAGE}-${envOf(c).FULCRUM_STAGE_VARIANT}`);
      expect(c.resources.requests.cpu, d.metadata.name).toBe(c.resources.limits.cpu);
      expect(c.resizePolicy).toContainEqual({ resourceName: "cpu", restartPolicy: "NotRequired" });
      expect(d.spec.template.metadata.labels["fulcrum.dev/variant"]).toBe(envOf(c).FULCRUM_STAGE_VARIANT);
      // The reconciler owns the replica count (re-applying must not reset it), claims each pod at
      // its gate, and the stage takes its instance id from the claim's label.
      expect(d.spec.replicas, d.metadata.name).toBeUndefined();
      // The names the Kubernetes actuator uses (pods.ts).
      expect(d.spec.template.spec.schedulingGates).toEqual([{ name: K8S_KEYS.claimGate }]);
      expect(c.env).toContainEqual({ name: "FULCRUM_STAGE_INSTANCE", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${K8S_KEYS.instance}']` } } });
      expect(envOf(c)).toMatchObject({ FULCRUM_STAGE_FOLLOW_PLACEMENT: "true", FULCRUM_STAGE_PIN_VARIANT: "true" });
      expect(d.spec.template.metadata.labels).toMatchObject({ [K8S_KEYS.name]: d.metadata.name, [K8S_KEYS.component]: "stage", [K8S_KEYS.pipeline]: "fashion", [K8S_KEYS.stage]: envOf(c).FULCRUM_STAGE_STAGE });
      expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    }
  });

  it("the reconciler runs fulcrum reconcile as the actuator's ServiceAccount (the only pod with a token), one at a time, bootstrapping a variant that has a Deployment", () => {
    const rec = fulcrumDeployments.find((d) => d.metadata.name === "reconciler")!;
    const pod = rec.spec.template.spec;
    const env = envOf(pod.containers[0]);
    expect(env.FULCRUM_SERVICE).toBe("reconciler");
    expect(pod.serviceAccountName).toBe("fulcrum-actuator");
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(rec.spec.replicas).toBe(1);
    expect(rec.spec.strategy).toEqual({ type: "Recreate" });
    const optimizer = parseYaml(byKind("ConfigMap").find((c) => c.metadata.name === "pipeline-fashion")!.data["optimizer.yaml"]) as Obj;
    expect(env.FULCRUM_RECONCILER_PIPELINE).toBe(optimizer.pipeline);
    expect(Number(env.FULCRUM_RECONCILER_CORE_BUDGET)).toBe(optimizer.limits.maxCores);
    const names = new Set(byKind("Deployment").map((d) => d.metadata.name));
    const bootstrap = JSON.parse(env.FULCRUM_RECONCILER_BOOTSTRAP!) as Record<string, Array<{ variant: string }>>;
    for (const [stage, targets] of Object.entries(bootstrap)) for (const t of targets) expect(names.has(`stage-${stage}-${t.variant}`), `${stage}/${t.variant}`).toBe(true);
    const sa = byKind("ServiceAccount").find((x) => x.metadata.name === "fulcrum-actuator")!;
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it("every Fulcrum pod: scrape annotations, /readyz and /healthz on its metrics port, non-root, read-only, no API token", () => {
    expect(fulcrumDeployments.map((d) => envOf(d.spec.template.spec.containers[0]).FULCRUM_SERVICE).sort()).toEqual(
      ["gateway", "monitor", "optimizer", "predictor", "reconciler", "stage", "stage", "stage", "stage", "stage"],
    );
    for (const d of fulcrumDeployments) {
      const pod = d.spec.template;
      const c = pod.spec.containers[0];
      const env = envOf(c);
      const port = Number(env[`FULCRUM_${env.FULCRUM_SERVICE!.toUpperCase()}_METRICS_PORT`]);
      expect(c.ports).toContainEqual({ containerPort: port, name: "metrics" });
      expect(pod.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": "/metrics" });
      expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
      expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.spec.automountServiceAccountToken).toBe(env.FULCRUM_SERVICE === "reconciler");
      expect(c.envFrom).toContainEqual({ configMapRef: { name: "fulcrum-env" } });
    }
  });

  it("the gateway has a Service for OIP REST and gRPC", () => {
    const svc = byKind("Service").find((s) => s.metadata.name === "gateway")!;
    expect(svc.spec.selector).toEqual({ "app.kubernetes.io/name": "gateway" });
    expect(svc.spec.ports.map((p: Obj) => p.port).sort()).toEqual([8000, 8001]);
  });

  it("NATS runs JetStream with infra/nats-auth.conf (ConfigMap nats-auth next to nats.conf, passwords from Secret fulcrum-nats)", () => {
    const conf = byKind("ConfigMap").find((c) => c.metadata.name === "nats-config")!.data["nats.conf"] as string;
    expect(conf).toMatch(/jetstream \{/);
    expect(conf).toMatch(/^include \.\/nats-auth\.conf$/m);
    const nats = byKind("StatefulSet").find((s) => s.metadata.name === "nats")!.spec.template.spec;
    const config = nats.volumes.find((v: Obj) => v.name === "config");
    expect(config.projected.sources.map((s: Obj) => s.configMap.name)).toEqual(["nats-config", "nats-auth"]);
    expect(nats.containers[0].envFrom).toEqual([{ secretRef: { name: "fulcrum-nats" } }]);
  });

  it("every Fulcrum pod connects to NATS as its own user, its password from Secret fulcrum-nats", () => {
    const userOf: Record<string, string> = { stage: "stage", gateway: "gateway", monitor: "monitor", predictor: "predictor", optimizer: "optimizer", reconciler: "launcher" };
    expect(fulcrumDeployments.length).toBeGreaterThan(5);
    for (const d of fulcrumDeployments) {
      const c = d.spec.template.spec.containers[0];
      const user = userOf[envOf(c).FULCRUM_SERVICE!];
      expect(user, d.metadata.name).toBeDefined();
      expect(envOf(c).NATS_USER, d.metadata.name).toBe(user);
      const password = (c.env as Obj[]).find((e) => e.name === "NATS_PASSWORD");
      expect(password?.valueFrom, d.metadata.name).toEqual({ secretKeyRef: { name: "fulcrum-nats", key: `FULCRUM_NATS_${user!.toUpperCase()}_PASSWORD` } });
    }
  });

  it("the actuator's Role grants exactly what it calls: stage Deployments' scale and CPU, pod reads, claims, drains and in-place resize", () => {
    const [role] = byKind("Role");
    expect(byKind("Role")).toHaveLength(1);
    const stageDeployments = fulcrumDeployments.filter((d) => d.metadata.name.startsWith("stage-")).map((d) => d.metadata.name).sort();
    expect(role!.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: expect.any(Array), verbs: ["get", "patch"] },
      { apiGroups: ["apps"], resources: ["deployments"], resourceNames: expect.any(Array), verbs: ["patch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "patch", "delete"] },
      { apiGroups: [""], resources: ["pods/resize"], verbs: ["patch"] },
    ]);
    for (const rule of role!.rules.slice(0, 2)) expect([...rule.resourceNames].sort()).toEqual(stageDeployments);
    const [binding] = byKind("RoleBinding");
    expect(binding!.subjects).toEqual([{ kind: "ServiceAccount", name: "fulcrum-actuator", namespace: "fulcrum" }]);
  });

  it("the pipeline ConfigMap matches the example spec (variants, accuracies) and the gateway's view", () => {
    const cm = byKind("ConfigMap").find((c) => c.metadata.name === "pipeline-fashion")!;
    const spec = parseYaml(cm.data["spec.yaml"]) as Obj;
    const example = parseYaml(readFileSync(EXAMPLE_SPEC, "utf8")) as Obj;
    expect(spec.stages).toEqual(example.stages);
    expect(spec.sloMs).toBe(example.sloMs);
    const gateway = parseYaml(cm.data["gateway.yaml"]) as Obj;
    const accuracies = Object.fromEntries(example.stages[0].variants.map((v: Obj) => [v.name, v.accuracy]));
    expect(gateway.pipelines[0].accuracies).toEqual(accuracies);
    expect(parseYaml(cm.data["optimizer.yaml"]).specFile).toBe("/etc/fulcrum/spec.yaml");
  });
});
