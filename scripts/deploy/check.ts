/**
 * The live checks of `npm run test:deploy` (scripts/deploy/test-deploy.sh builds and starts the
 * compose deployment first, and tears it down after). From outside the containers, as a user would:
 *   1. OIP through the gateway over gRPC (ServerReady, ModelReady, ModelInfer) and REST, plus one
 *      malformed request that must be refused with a reason;
 *   2. a bounded load (RATE_RPS for at most LOAD_MAX_S) while the control loop runs;
 *   3. an Assignment published by the optimizer (KV fulcrum_assignments) and applied by every
 *      stage replica (its registry entry carries the applied version), acks counted by the optimizer;
 *   4. the real Prometheus, over its HTTP API: every service's scrape target up and one of its own
 *      series, then every PromQL query of the Grafana dashboard returns series (queries naming a
 *      metric no service exports yet are listed as skipped, with why).
 *   5. NATS refuses a client without credentials (the deployment runs infra/nats-auth.conf); the
 *      checks connect as `launcher` (NATS_USER / NATS_PASSWORD, set by test-deploy.sh).
 * Prints one line per check; exits 1 if any failed. Every address is on loopback.
 */
import { control, KV_BUCKETS, kvKeys } from "@fulcrum/proto";
import { BusConnectError, connectBus, fp32Request, OipClient, oipParam, oipParamValue, type Bus, type InferOutcome } from "@fulcrum/runtime";
import { dashboardQueries, instantiate, uncheckedReason } from "./dashboard.js";

const PIPELINE = "fashion";
const STAGE = "classifier";
const INPUT_SHAPE = [1, 28, 28];
const GATEWAY_GRPC = "127.0.0.1:8001";
const GATEWAY_HTTP = "http://127.0.0.1:8000";
const PROMETHEUS = "http://127.0.0.1:9090";
const NATS_URL = "nats://127.0.0.1:14222";
const STAGE_INSTANCES = ["stage-0", "stage-1"];
/** Scrape jobs of infra/prometheus/prometheus.yml → targets expected up, and a series of the service's own. */
const SERVICES: ReadonlyArray<{ job: string; targets: number; series: string }> = [
  { job: "fulcrum-stage", targets: 2, series: `fulcrum_stage_completions_total{pipeline="${PIPELINE}"} > 0` },
  { job: "fulcrum-gateway", targets: 1, series: `fulcrum_gateway_requests_total{pipeline="${PIPELINE}", fate="in-time"} > 0` },
  { job: "fulcrum-monitor", targets: 1, series: `fulcrum_pipeline_arrivals_rps{pipeline="${PIPELINE}"}` },
  { job: "fulcrum-predictor", targets: 1, series: `fulcrum_predictor_forecast_rps{pipeline="${PIPELINE}", kind="upper"}` },
  { job: "fulcrum-optimizer", targets: 1, series: `fulcrum_optimizer_assignment_version{pipeline="${PIPELINE}"} > 0` },
];
const RATE_RPS = 5;
/** SLO of the load's requests, ms (the pipeline's is 200). */
const LOAD_SLO_MS = 1000;
/** SLO of the single requests checked first, ms. */
const FIRST_SLO_MS = 5000;
const LOAD_MAX_S = 150;
const ASSIGNMENT_TIMEOUT_MS = 120_000;

let failures = 0;
function report(ok: boolean, what: string, detail = ""): void {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"}  ${what}${detail ? `: ${detail}` : ""}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  let lastError: string | undefined;
  while (Date.now() < end) {
    const v = await probe().catch((err: Error) => void (lastError = err.message));
    if (v !== undefined) return v;
    await sleep(1000);
  }
  report(false, what, `not within ${timeoutMs / 1000} s${lastError ? ` (last error: ${lastError})` : ""}`);
  return undefined;
}

interface PromSample { metric: Record<string, string>; value: [number, string] }

async function promQuery(query: string): Promise<PromSample[]> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
  if (body.status !== "success") throw new Error(`Prometheus refused ${query}: ${body.error ?? res.status}`);
  if (body.data?.resultType !== "vector") throw new Error(`expected an instant vector from ${query}, got ${body.data?.resultType}`);
  return body.data.result;
}

async function checkOip(client: OipClient): Promise<void> {
  report(await client.ready(), "gRPC ServerReady on the gateway", GATEWAY_GRPC);
  const modelReady = await new Promise<boolean>((r) => client.raw.modelReady({ name: PIPELINE, version: "" }, (err, res) => r(!err && res!.ready)));
  report(modelReady, `gRPC ModelReady("${PIPELINE}")`);
  // A generous SLO: the first call of the gateway to each replica opens its channel (name resolution, connect).
  const grpc = await client.infer(fp32Request(PIPELINE, "input", INPUT_SHAPE, { rows: 2, id: "deploy-grpc-1", params: { slo_ms: oipParam.int(FIRST_SLO_MS) } }));
  const out = grpc.response?.outputs[0];
  report(grpc.ok && out?.name === "logits" && out.shape.join() === "2,10", "gRPC ModelInfer through the gateway",
    grpc.ok ? `output ${out?.name} [${out?.shape.join(",")}], variant ${oipParamValue(grpc.response?.parameters.variant)}` : `code ${grpc.code}: ${grpc.details}`);

  const rest = await fetch(`${GATEWAY_HTTP}/v2/models/${PIPELINE}/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: "deploy-rest-1", parameters: { slo_ms: FIRST_SLO_MS }, inputs: [{ name: "input", shape: [1, ...INPUT_SHAPE], datatype: "FP32", data: Array(784).fill(0.5) }] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await rest.json()) as { id?: string; outputs?: Array<{ name: string; shape: number[]; data: number[] }>; parameters?: { variant?: string } };
  report(rest.status === 200 && body.id === "deploy-rest-1" && body.outputs?.[0]?.data.length === 10, "REST POST /v2/models/fashion/infer through the gateway",
    `HTTP ${rest.status}, ${body.outputs?.[0]?.data.length ?? 0} logits, variant ${body.parameters?.variant}`);

  const bad = await client.infer(fp32Request(PIPELINE, "input", INPUT_SHAPE, { params: { slo_ms: oipParam.str("soon") } }));
  report(!bad.ok && bad.code === 3 && /slo_ms/.test(bad.details ?? ""), "a malformed request is refused INVALID_ARGUMENT naming the field", bad.details ?? "answered");
}

/** Sends RATE_RPS until `stop` resolves or LOAD_MAX_S passes; returns every outcome. */
async function load(client: OipClient, stop: Promise<void>): Promise<InferOutcome[]> {
  const outcomes: Array<Promise<InferOutcome>> = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  const start = Date.now();
  for (let i = 0; !stopped && Date.now() - start < LOAD_MAX_S * 1000; i++) {
    outcomes.push(client.infer(fp32Request(PIPELINE, "input", INPUT_SHAPE, { id: `deploy-load-${i}`, params: { slo_ms: oipParam.int(1000) } })));
    await sleep(1000 / RATE_RPS);
  }
  return Promise.all(outcomes);
}

async function checkAssignment(bus: Bus): Promise<void> {
  const assignments = await bus.kv(KV_BUCKETS.assignments);
  const registry = await bus.kv(KV_BUCKETS.registry);
  const a = await until("optimizer publishes an Assignment (KV fulcrum_assignments)", ASSIGNMENT_TIMEOUT_MS, async () => {
    const got = await assignments.get(kvKeys.assignment(PIPELINE), control.Assignment);
    return got && got.version > 0 ? got : undefined;
  });
  if (!a) return;
  const split = a.stages.flatMap((s) => s.variants.map((v) => `${s.stage}/${v.variant} ×${v.replicas} ${v.coresPerReplica}c b${v.batch} w${v.weight.toFixed(2)}`)).join(", ");
  report(true, "optimizer publishes an Assignment (KV fulcrum_assignments)", `v${a.version} (${a.policy}): ${split}`);
  for (const instance of STAGE_INSTANCES) {
    const e = await until(`stage ${instance} applies v${a.version} (registry)`, 60_000, async () => {
      const got = await registry.get(kvKeys.registry(PIPELINE, STAGE, instance), control.RegistryEntry);
      return got && got.assignmentVersion >= a.version && got.state === "ready" ? got : undefined;
    });
    if (e) report(true, `stage ${instance} applies v${a.version} (registry)`, `assignment_version ${e.assignmentVersion}, serving ${e.variant} ${e.cores}c batch ${e.batch} at ${e.address}`);
  }
  const acked = await until("optimizer counts an applied ack from every stage replica", 30_000, async () => {
    const r = await promQuery(`sum(fulcrum_optimizer_acks_total{pipeline="${PIPELINE}", outcome="applied"})`);
    const n = Number(r[0]?.value[1] ?? 0);
    return n >= STAGE_INSTANCES.length ? n : undefined;
  });
  if (acked !== undefined) report(true, "optimizer counts an applied ack from every stage replica", `fulcrum_optimizer_acks_total{outcome="applied"} = ${acked}`);
  const gw = await until(`gateway routes by v${a.version}`, 30_000, async () => {
    const r = await promQuery(`fulcrum_gateway_assignment_version{pipeline="${PIPELINE}"}`);
    const v = Number(r[0]?.value[1] ?? 0);
    return v >= a.version ? v : undefined;
  });
  if (gw !== undefined) report(true, `gateway routes by v${a.version}`, `fulcrum_gateway_assignment_version = ${gw}`);
}

async function checkPrometheus(): Promise<void> {
  for (const s of SERVICES) {
    const up = await promQuery(`up{job="${s.job}"}`);
    const healthy = up.filter((x) => x.value[1] === "1").length;
    report(healthy === s.targets && up.length === s.targets, `Prometheus scrapes ${s.job}`, `${healthy}/${s.targets} targets up`);
    const series = await until(`Prometheus has ${s.series}`, 30_000, async () => {
      const r = await promQuery(s.series);
      return r.length > 0 ? r : undefined;
    });
    if (series) report(true, `Prometheus has ${s.series}`, `${series.length} series, e.g. ${series[0]!.value[1]}`);
  }
  const skipped: string[] = [];
  for (const q of dashboardQueries()) {
    const label = `dashboard "${q.panel}" ${q.refId}`;
    if (q.pending.length > 0) {
      skipped.push(`${label}: ${q.pending.map((m) => `${m} (${uncheckedReason(m)})`).join("; ")}`);
      continue;
    }
    // A labelled counter appears at its first event and rate() needs two scrapes of it: poll a while.
    const r = await until(`${label} returns series`, 60_000, async () => {
      const got = await promQuery(instantiate(q.expr));
      return got.length > 0 ? got : undefined;
    });
    if (r) report(true, `${label} returns series`, `${r.length} series`);
  }
  for (const s of skipped) console.log(`skip  ${s}`);
}

/**
 * Every request of the load must be answered, or refused with a status that carries a reason
 * (DEADLINE_EXCEEDED: dropped early, RESOURCE_EXHAUSTED: queue full, UNAVAILABLE: no replica); at
 * least one must be answered. How many make their SLO depends on what else runs on this shared
 * machine and is printed, not asserted: attainment is measured by the benchmarks, not here.
 */
function reportLoad(outcomes: readonly InferOutcome[]): void {
  const REASONED = new Set([4, 8, 14]);
  const byCode = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.ok ? "answered" : `code ${o.code}`;
    byCode.set(key, (byCode.get(key) ?? 0) + 1);
  }
  const bad = outcomes.filter((o) => !o.ok && (!REASONED.has(o.code ?? -1) || !o.details));
  const answered = byCode.get("answered") ?? 0;
  const breakdown = [...byCode].map(([k, n]) => `${k}: ${n}`).join(", ");
  report(bad.length === 0 && answered > 0, `load through the gateway (${RATE_RPS} rps over gRPC, slo_ms ${LOAD_SLO_MS}): every request answered or refused with a reason`,
    `${outcomes.length} sent (${breakdown})${bad[0] ? `; unexpected: code ${bad[0].code} "${bad[0].details}"` : ""}`);
  for (const o of outcomes.filter((x) => !x.ok).slice(0, 3)) console.log(`      e.g. code ${o.code}: ${o.details}`);
}

/** NATS runs with infra/nats-auth.conf: the checks connect as the operator's user, `launcher`. */
async function connectNats(): Promise<Bus> {
  const user = process.env.NATS_USER;
  const password = process.env.NATS_PASSWORD;
  if (!user || !password) throw new Error("set NATS_USER and NATS_PASSWORD (test-deploy.sh passes the launcher's from its credentials file)");
  const anonymous = await connectBus({ servers: NATS_URL, name: "fulcrum-test-deploy-anonymous", connectTimeoutMs: 3000 }).then(
    async (b) => {
      await b.drain();
      return "connected";
    },
    (err: unknown) => (err instanceof BusConnectError ? "refused" : `failed otherwise: ${(err as Error).message}`),
  );
  report(anonymous === "refused", "NATS refuses a client without credentials (authorization on)", anonymous);
  return connectBus({ servers: NATS_URL, name: "fulcrum-test-deploy", auth: { user, password } });
}

async function main(): Promise<void> {
  const client = new OipClient(GATEWAY_GRPC, { callTimeoutMs: 10_000 });
  const bus = await connectNats();
  let stopLoad!: () => void;
  const loadDone = new Promise<void>((r) => (stopLoad = r));
  try {
    await checkOip(client);
    const running = load(client, loadDone);
    await checkAssignment(bus);
    // Let Prometheus scrape the load for a while: the dashboard's rates read one minute back.
    await sleep(20_000);
    await checkPrometheus();
    stopLoad();
    const outcomes = await running;
    reportLoad(outcomes);
  } finally {
    stopLoad();
    client.close();
    await bus.drain();
  }
  console.log(failures === 0 ? "deploy checks: all passed" : `deploy checks: ${failures} failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
