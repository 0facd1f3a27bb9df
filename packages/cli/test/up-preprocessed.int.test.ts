import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Assignment } from "@fulcrum/core";
import type { RegistryRecord } from "@fulcrum/core/control";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, startOtlpReceiver, testNatsUrl, toDomainAssignment, toDomainRegistryRecord, type Bus, type OtlpReceiverHandle, type ReceivedSpan, type Stoppable } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive } from "./fault-harness.js";
import { fulcrumArgv } from "./launcher.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface UpSummary {
  exitCode: number;
  stopReason: string;
  status: { assignmentVersion: number; totals: { arrivals: number } };
  loadgen: { planned: number; notSent: number; sent: number; inTime: number; late: number; rejectedWithReason: number; failed: number; unaccounted: number; ledgerExact: boolean; variants: Record<string, number> };
  children: Array<{ name: string; pid: number; exit: number | string | null; address?: string }>;
  elastic: { replicas: Array<{ stage: string }>; replicaProcesses: Array<{ pid: number }> };
}

const isInfer = (s: ReceivedSpan): boolean => s.name.includes("ModelInfer");
const CLIENT = 3;
const SERVER = 2;

/**
 * `fulcrum up --pipeline fashion-preprocessed`: the example stage outside the workspace
 * (examples/custom-stage) in front of the fashion classifier, with real processes, NATS and gRPC,
 * a short load of UINT8 images, and an OTLP sink for the services' spans.
 */
describe("fulcrum up --pipeline fashion-preprocessed", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-up-pre-"));
  const name = `pre-${process.pid}`;
  let bus: Bus;
  let receiver: OtlpReceiverHandle;
  const subs: Stoppable[] = [];
  const registered: RegistryRecord[] = [];
  const acks: control.AssignmentAck[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver({ port: 0 });
    bus = await connectBus({ servers: testNatsUrl(), name: "up-preprocessed-test" });
    const registry = await bus.kv(KV_BUCKETS.registry);
    subs.push(
      await registry.watch(kvKeys.registryOfPipeline(name), control.RegistryEntry, (e) => {
        if (e) registered.push(toDomainRegistryRecord(e));
      }),
      bus.subscribe(subjects.ackAll(name), control.AssignmentAck, (a) => void acks.push(a)),
    );
    await bus.flush();
  });
  afterAll(async () => {
    for (const s of subs) await s.stop();
    await bus.drain();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves UINT8 images end to end through both stages, with an exact ledger, one Assignment for both stages and traces through both", { timeout: 420_000 }, async () => {
    const summaryFile = join(dir, "summary.json");
    const args = fulcrumArgv(
      "up",
      "--pipeline", "fashion-preprocessed", "--name", name, "--max-cores", "2", "--interval", "3000",
      "--rate", "4", "--duration", "45", "--loadgen-duration", "30", "--status-every", "10",
      "--summary-file", summaryFile, "--run-dir", join(dir, "run"),
    );
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: testNatsUrl(), LOG_LEVEL: "info", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code, out.slice(-4000)).toBe(0);
    expect(out).toContain(`Fulcrum is up: pipeline "${name}" (fashion, stages "preprocess" (one replica, variant bilinear) → "classifier"`);
    const s = JSON.parse(readFileSync(summaryFile, "utf8")) as UpSummary;
    expect(s).toMatchObject({ exitCode: 0, stopReason: "--duration 45" });

    // The ledger is exact: every request sent has one fate, none failed, and the gateway counted each.
    const l = s.loadgen;
    // 4 rps for up to 30 s; on a crowded machine the load generator's own start eats into --duration.
    expect(l.sent).toBeGreaterThanOrEqual(30);
    expect(l.unaccounted).toBe(0);
    expect(l.planned).toBe(l.sent + l.notSent);
    expect(l.sent).toBe(l.inTime + l.late + l.rejectedWithReason + l.failed);
    expect(l.ledgerExact).toBe(true);
    expect(l.failed).toBe(0);
    expect(s.status.totals.arrivals).toBe(l.sent);
    // Most were answered, and every answer went through both stages (the gateway's variant parameter).
    const answered = Object.entries(l.variants);
    expect(l.inTime + l.late).toBeGreaterThan(0.5 * l.sent);
    expect(answered.reduce((n, [, k]) => n + k, 0)).toBe(l.inTime + l.late);
    for (const [v] of answered) expect(v).toMatch(/^preprocess=bilinear,classifier=[a-z-]+$/);

    // Both stages registered; the example with its one variant.
    const pre = registered.filter((r) => r.stage === "preprocess");
    expect(new Set(pre.map((r) => r.instance)).size).toBe(1);
    expect(pre.some((r) => r.state === "ready" && r.variant === "bilinear")).toBe(true);
    expect(pre.every((r) => r.variants.length === 1 && r.variants[0] === "bilinear")).toBe(true);
    expect(registered.some((r) => r.stage === "classifier" && r.state === "ready")).toBe(true);

    // The optimizer's Assignment names both stages, preprocess with its one variant, and the example applied it.
    const stored = await (await bus.kv(KV_BUCKETS.assignments)).get(kvKeys.assignment(name), control.Assignment);
    expect(stored).toBeDefined();
    const a: Assignment = toDomainAssignment(stored!);
    expect(a.stages.map((st) => st.stage).sort()).toEqual(["classifier", "preprocess"]);
    const preAlloc = a.stages.find((st) => st.stage === "preprocess")!.variants;
    expect(preAlloc.map((v) => v.variant)).toEqual(["bilinear"]);
    expect(preAlloc[0]!.weight).toBe(1);
    const preInstance = pre[0]!.instance;
    expect(acks.some((k) => k.stage === "preprocess" && k.instance === preInstance && k.applied && k.version >= 1)).toBe(true);
    expect(acks.filter((k) => k.stage === "preprocess" && !k.applied)).toEqual([]);

    // The reconcile loop ran only the classifier; the launcher ran the example; nothing is left running.
    expect(s.elastic.replicas.length).toBeGreaterThanOrEqual(1);
    expect(s.elastic.replicas.every((r) => r.stage === "classifier")).toBe(true);
    const preChild = s.children.find((c) => c.name === "preprocess");
    expect(preChild?.exit).toBe(0);
    expect(s.children.filter((c) => alive(c.pid))).toEqual([]);
    expect(s.elastic.replicaProcesses.filter((r) => alive(r.pid))).toEqual([]);

    // One request's trace: the gateway's server span, its client span to the example stage, its
    // client span to a classifier replica, and that replica's server span under it. The example has
    // no OpenTelemetry of its own (it depends on no Fulcrum package), so the gateway's client span
    // is what shows the preprocess stage in the trace.
    const prePort = Number(preChild!.address!.split(":").pop());
    const spans = receiver.spans();
    const byTrace = new Map<string, ReceivedSpan[]>();
    for (const sp of spans) byTrace.set(sp.traceId, [...(byTrace.get(sp.traceId) ?? []), sp]);
    const complete = [...byTrace.values()].filter((t) => {
      const gwServer = t.find((x) => x.service === "fulcrum-gateway" && x.kind === SERVER && isInfer(x));
      const gwClients = t.filter((x) => x.service === "fulcrum-gateway" && x.kind === CLIENT && isInfer(x) && x.parentSpanId === gwServer?.spanId);
      const toPre = gwClients.find((x) => x.attributes["server.port"] === prePort);
      const toCls = gwClients.find((x) => x.attributes["server.port"] !== prePort && t.some((y) => y.kind === SERVER && isInfer(y) && y.parentSpanId === x.spanId && y.service !== "fulcrum-gateway"));
      return gwServer !== undefined && toPre !== undefined && toCls !== undefined;
    });
    expect(complete.length, `no trace through both stages among ${byTrace.size} traces (${spans.length} spans)`).toBeGreaterThan(0);
    expect(spans.filter((x) => x.service === "fulcrum-preprocess")).toEqual([]);
    console.log(
      `ledger: sent ${l.sent} = in time ${l.inTime} + late ${l.late} + rejected ${l.rejectedWithReason} + failed ${l.failed}; assignment v${a.version} ${a.stages.map((st) => `${st.stage}: ${st.variants.map((v) => `${v.variant}×${v.replicas} b${v.batch} c${v.coresPerReplica}`).join(", ")}`).join("; ")}; ${complete.length} of ${byTrace.size} traces through both stages`,
    );
  });
});
