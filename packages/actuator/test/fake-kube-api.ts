import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** One request the fake API server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType: string;
  readonly authorization: string;
  readonly body: unknown;
}

/** A refusal to answer once, for the first request matching `method` and `path`. */
export interface Injected {
  readonly method: string;
  readonly path: RegExp;
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  /** How many matching requests to refuse. @default 1 */
  times?: number;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- untyped Kubernetes JSON
interface FakeDeployment {
  replicas: number;
  resourceVersion: number;
  cpu: string;
  labels: Record<string, string>;
}

/** What the fake kubelet does with an in-place resize. */
export type ResizeBehaviour = "apply" | "infeasible" | "deferred";

/**
 * A small Kubernetes API server over real HTTP for the actuator's tests: the endpoints the
 * actuator calls (Deployment scale and patch, pod list/get/patch/delete, `pods/resize`), every
 * request recorded, refusals injectable, and just enough of the controllers to be realistic: a
 * scale-up creates gated pods (ReplicaSet), a scale-down deletes pods in the ReplicaSet's order
 * (unscheduled, pending, not ready, then the lowest deletion cost, then the newest), removing the
 * gate schedules and readies a pod (scheduler + kubelet), a terminating pod is gone after
 * `terminationMs`, and a template CPU change creates one gated pod of the new template (a rollout's surge).
 */
export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly deployments = new Map<string, FakeDeployment>();
  readonly pods = new Map<string, Json>();
  readonly injected: Injected[] = [];
  /** The ReplicaSet creates pods on scale-up. */
  createPodsOnScaleUp = true;
  /** The ReplicaSet deletes pods on scale-down. */
  deletePodsOnScaleDown = true;
  resize: ResizeBehaviour = "apply";
  terminationMs = 20;
  private seq = 0;
  private server: Server | undefined;
  url = "";

  constructor(
    readonly namespace = "fulcrum",
    readonly pipeline = "fashion",
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** A KubeConfig for this server with a bearer token. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: "actuator", token: "test-token" }],
      contexts: [{ name: "fake", cluster: "fake", user: "actuator", namespace: this.namespace }],
      currentContext: "fake",
    });
    return kc;
  }

  /** Adds a stage Deployment (`stage-<stage>-<variant>`) with `replicas` claimed-looking ready pods of its own. */
  addDeployment(stage: string, variant: string, cpu = "1"): string {
    const name = `stage-${stage}-${variant}`;
    this.deployments.set(name, {
      replicas: 0,
      resourceVersion: 1,
      cpu,
      labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "stage", "fulcrum.dev/pipeline": this.pipeline, "fulcrum.dev/stage": stage, "fulcrum.dev/variant": variant },
    });
    return name;
  }

  /** Creates a gated pod of `deployment` as its ReplicaSet would (the template's CPU unless given). */
  addPod(deployment: string, cpu?: string): Json {
    const d = this.deployments.get(deployment)!;
    const name = `${deployment}-${(this.seq++).toString(36).padStart(5, "x")}`;
    const c = cpu ?? d.cpu;
    const pod: Json = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: this.namespace, labels: { ...d.labels }, annotations: {}, creationTimestamp: new Date(Date.now() + this.seq).toISOString(), resourceVersion: "1" },
      spec: {
        schedulingGates: [{ name: "fulcrum.dev/claim" }],
        containers: [{ name: "stage", image: "fulcrum:latest", resources: { requests: { cpu: c }, limits: { cpu: c } } }],
      },
      status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] },
    };
    this.pods.set(name, pod);
    return pod;
  }

  /** Puts a pod on a node, running and ready (the scheduler and the kubelet after its gate is gone). */
  run(pod: Json, ready = true): void {
    pod.spec.nodeName = "node-1";
    pod.status = {
      phase: "Running",
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: [{ name: "stage", ready, restartCount: 0, image: "fulcrum:latest", imageID: "", resources: structuredClone(pod.spec.containers[0].resources) }],
    };
  }

  /** Requests other than pod lists (the periodic refresh), as `METHOD path`. */
  calls(): string[] {
    return this.requests.filter((r) => !(r.method === "GET" && r.path.endsWith("/pods"))).map((r) => `${r.method} ${r.path}`);
  }

  private terminate(pod: Json): void {
    if (pod.metadata.deletionTimestamp) return;
    pod.metadata.deletionTimestamp = new Date().toISOString();
    setTimeout(() => this.pods.delete(pod.metadata.name), this.terminationMs);
  }

  private podsOf(deployment: string): Json[] {
    return [...this.pods.values()].filter((p) => p.metadata.labels["app.kubernetes.io/name"] === deployment);
  }

  /** The ReplicaSet after a scale change: active pods = replicas. */
  private settle(deployment: string): void {
    const d = this.deployments.get(deployment)!;
    const active = this.podsOf(deployment).filter((p) => !p.metadata.deletionTimestamp);
    if (active.length < d.replicas && this.createPodsOnScaleUp) for (let i = active.length; i < d.replicas; i++) this.addPod(deployment);
    if (active.length > d.replicas && this.deletePodsOnScaleDown) {
      const rank = (p: Json): number[] => [
        p.spec.nodeName ? 1 : 0,
        p.status.phase === "Pending" ? 0 : 1,
        p.status.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True") ? 1 : 0,
        Number(p.metadata.annotations?.["controller.kubernetes.io/pod-deletion-cost"] ?? 0),
        -Date.parse(p.metadata.creationTimestamp),
      ];
      const order = active.sort((a, b) => {
        const [ra, rb] = [rank(a), rank(b)];
        const i = ra.findIndex((x, k) => x !== rb[k]);
        return i < 0 ? 0 : ra[i]! - rb[i]!;
      });
      for (const p of order.slice(0, active.length - d.replicas)) this.terminate(p);
    }
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  }

  private ok(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    const body = text ? JSON.parse(text) : undefined;
    const rec: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: String(req.headers["content-type"] ?? ""),
      authorization: String(req.headers.authorization ?? ""),
      body,
    };
    this.requests.push(rec);
    const inj = this.injected.find((i) => i.method === rec.method && i.path.test(rec.path) && (i.times ?? 1) > 0);
    if (inj) {
      inj.times = (inj.times ?? 1) - 1;
      return this.status(res, inj.status, inj.reason, inj.message);
    }
    const ns = `/namespaces/${this.namespace}`;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^/apis/apps/v1${ns}/deployments/([^/]+)(/scale)?$`).exec(rec.path))) {
      const d = this.deployments.get(m[1]!);
      if (!d) return this.status(res, 404, "NotFound", `deployments.apps "${m[1]}" not found`);
      if (m[2] && rec.method === "PATCH") {
        const rv = body?.metadata?.resourceVersion;
        if (rv !== undefined && rv !== String(d.resourceVersion)) return this.status(res, 409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
        d.replicas = body.spec.replicas;
        d.resourceVersion += 1;
        this.settle(m[1]!);
      } else if (!m[2] && rec.method === "PATCH") {
        d.cpu = body.spec.template.spec.containers[0].resources.limits.cpu;
        d.resourceVersion += 1;
        this.addPod(m[1]!); // the rollout's surge pod, with the new template
        return this.ok(res, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: m[1], namespace: this.namespace } });
      }
      return this.ok(res, { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: m[1], namespace: this.namespace, resourceVersion: String(d.resourceVersion) }, spec: { replicas: d.replicas }, status: { replicas: d.replicas } });
    }
    if (rec.path === `/api/v1${ns}/pods` && rec.method === "GET") {
      const terms = (rec.query.labelSelector ?? "").split(",").filter(Boolean).map((t) => t.split("="));
      const items = [...this.pods.values()].filter((p) => terms.every(([k, v]) => (v === undefined ? k! in p.metadata.labels : p.metadata.labels[k!] === v)));
      return this.ok(res, { apiVersion: "v1", kind: "PodList", metadata: {}, items });
    }
    if ((m = new RegExp(`^/api/v1${ns}/pods/([^/]+)(/resize)?$`).exec(rec.path))) {
      const pod = this.pods.get(m[1]!);
      if (!pod) return this.status(res, 404, "NotFound", `pods "${m[1]}" not found`);
      if (rec.method === "GET") return this.ok(res, pod);
      if (rec.method === "DELETE") {
        this.terminate(pod);
        return this.ok(res, pod);
      }
      if (m[2]) {
        const resources = body.spec.containers[0].resources;
        pod.spec.containers[0].resources = resources;
        if (this.resize === "apply" && pod.status.containerStatuses) pod.status.containerStatuses[0].resources = structuredClone(resources);
        else if (this.resize !== "apply") pod.status.conditions.push({ type: "PodResizePending", status: "True", reason: this.resize === "infeasible" ? "Infeasible" : "Deferred", message: `Node didn't have enough capacity: cpu, requested: ${resources.requests.cpu}` });
        return this.ok(res, pod);
      }
      if (Array.isArray(body)) {
        for (const op of body) {
          const keys = (op.path as string).split("/").slice(1).map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
          const last = keys.pop()!;
          const parent = keys.reduce((o: Json, k) => o?.[k], pod);
          if (op.op === "test" && JSON.stringify(parent?.[last]) !== JSON.stringify(op.value)) return this.status(res, 422, "Invalid", `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
          if (op.op === "add") parent[last] = op.value;
          if (op.op === "remove") delete parent[last];
        }
        if (!pod.spec.schedulingGates) this.run(pod);
      } else {
        Object.assign(pod.metadata.annotations, body.metadata?.annotations ?? {});
      }
      return this.ok(res, pod);
    }
    return this.status(res, 404, "NotFound", `the server could not find the requested resource (${rec.method} ${rec.path})`);
  }
}
