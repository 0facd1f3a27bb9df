/**
 * The guarded control plane, end to end: while `fulcrum up` serves load, a table of garbage, empty
 * and absurd messages goes out on every subject and KV key a service consumes (the list and
 * more). Every service (monitor, predictor, optimizer, stage, gateway, the launcher's status) must
 * refuse them with a log line naming the field and keep doing its job: no process exits, the load
 * is still answered in time, and the optimizer's next real Assignment still applies.
 *
 * Fixed replicas (`--replicas 1`): the elastic reconcile loop (packages/actuator) does not follow the
 * KV entry as the version authority yet. The static policy (the initial variant on one core), so
 * that "in time" measures the guard, not the optimizer's choice on a busy machine.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, testNatsUrl, type Bus, type Codec } from "@fulcrum/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { fulcrumArgv } from "./launcher.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RAW: Codec<Uint8Array> = { encode: (b) => ({ finish: () => b }), decode: (b) => b };
/** Not protobuf: a varint that never ends, then junk. */
const GARBAGE = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xde, 0xad, 0xbe, 0xef]);
const EMPTY = new Uint8Array(0);

interface Row {
  /** What the row sends, for failure messages. */
  readonly what: string;
  /** A subject to publish on, or `kv:<bucket>:<key>` to put under. */
  readonly target: string;
  readonly bytes: Uint8Array;
}

/** The table: garbage and an empty message on every subject and key, then the absurd values. */
function table(p: string, stage: string, instance: string): Row[] {
  const now = Date.now();
  const assignment = (version: number, v: Partial<control.VariantAllocation>): Uint8Array =>
    control.Assignment.encode({ pipeline: p, version, policy: "forged", createdUnixMs: now, reason: "forged", stages: [{ stage, variants: [{ variant: "mlp", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1, ...v }] }] }).finish();
  const targets = [
    subjects.gatewayMetrics(p),
    subjects.stageMetrics(p, stage, instance),
    subjects.load(p),
    subjects.forecast(p),
    subjects.assignment(p),
    subjects.ack(p, stage, instance),
    `kv:${KV_BUCKETS.registry}:${kvKeys.registry(p, stage, "forged")}`,
    `kv:${KV_BUCKETS.placements}:${kvKeys.placement(p, stage, instance)}`,
  ];
  const rows: Row[] = targets.flatMap((target) => [
    { what: `garbage on ${target}`, target, bytes: GARBAGE },
    { what: `empty message on ${target}`, target, bytes: EMPTY },
  ]);
  const gw = { pipeline: p, windowStartUnixMs: now, windowMs: 1000, arrivals: 1e12, answeredInTime: 1e12, late: 0, rejected: 0, failed: 0, latencyP50Ms: 1, latencyP95Ms: 1, latencyP99Ms: 1, budgetP10Ms: 100, budgetP50Ms: 100, meanAccuracy: 0.9 };
  rows.push(
    { what: "GatewayMetrics of 10¹² arrivals in 1 s", target: subjects.gatewayMetrics(p), bytes: control.GatewayMetrics.encode(gw).finish() },
    { what: "GatewayMetrics from the year 33658", target: subjects.gatewayMetrics(p), bytes: control.GatewayMetrics.encode({ ...gw, arrivals: 10, answeredInTime: 10, windowStartUnixMs: 1e15 }).finish() },
    {
      what: "StageMetrics of 10¹² arrivals in 1 s",
      target: subjects.stageMetrics(p, stage, instance),
      bytes: control.StageMetrics.encode({
        pipeline: p, stage, instance, windowStartUnixMs: now, windowMs: 1000, arrivals: 1e12, completions: 1e12, queueLength: 0, latencyP50Ms: 1, latencyP95Ms: 1, latencyP99Ms: 1, violations: 0, earlyDrops: 0, rejected: 0,
        meanBatch: 1, variant: "mlp", cores: 1, batchSize: 1, cpuSeconds: 0, assignmentVersion: 1, failures: 0,
      }).finish(),
    },
    { what: "LoadSample of 10¹² rps", target: subjects.load(p), bytes: control.LoadSample.encode({ pipeline: p, timestampUnixMs: now, arrivalsRps: 1e12, windowMs: 1000, budgetP10Ms: 100, budgetP50Ms: 100 }).finish() },
    { what: "Forecast of 10¹² rps", target: subjects.forecast(p), bytes: control.Forecast.encode({ pipeline: p, createdUnixMs: now, horizonS: 10, peakRps: 1e12, upperRps: 1e12, coverage: 0.9, model: "forged", historySamples: 100 }).finish() },
    { what: "Assignment with 10⁹ replicas", target: subjects.assignment(p), bytes: assignment(2e9, { replicas: 1e9 }) },
    { what: "Assignment with 64 cores and batch 4096", target: subjects.assignment(p), bytes: assignment(2e9 + 1, { coresPerReplica: 64, batch: 4096 }) },
    { what: "Assignment with version 10¹²", target: subjects.assignment(p), bytes: assignment(1e12, {}) },
    { what: "AssignmentAck of version 10¹²", target: subjects.ack(p, stage, "forged"), bytes: control.AssignmentAck.encode({ pipeline: p, stage, instance: "forged", version: 1e12, applied: true, applyMs: 1, error: "", appliedUnixMs: now }).finish() },
    {
      what: "RegistryEntry heartbeating from the year 33658",
      target: `kv:${KV_BUCKETS.registry}:${kvKeys.registry(p, stage, "forged")}`,
      bytes: control.RegistryEntry.encode({ pipeline: p, stage, instance: "forged", address: "127.0.0.1:9", variant: "mlp", cores: 1, batch: 1, assignmentVersion: 1, heartbeatUnixMs: 1e15, startedUnixMs: now, readyUnixMs: now, state: "ready", variants: ["mlp"] }).finish(),
    },
  );
  return rows;
}

describe("fulcrum up under a hostile control plane", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-hostile-"));
  let bus: Bus | undefined;
  afterAll(async () => {
    await bus?.drain();
    if (!process.env.FULCRUM_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses garbage, empty and absurd messages on every subject and key, naming the field; nothing exits; load is answered; real Assignments still apply", { timeout: 240_000 }, async () => {
    const summaryFile = join(dir, "summary.json");
    const runDir = join(dir, "run");
    const name = `hostile-${process.pid}`;
    const child = spawn(
      process.execPath,
      fulcrumArgv("up", "--replicas", "1", "--policy", "static", "--duration", "50", "--loadgen-duration", "44", "--rate", "10", "--name", name, "--interval", "2000", "--summary-file", summaryFile, "--run-dir", runDir),
      { cwd: ROOT, env: { ...process.env, NATS_URL: testNatsUrl(), LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));

    bus = await connectBus({ servers: testNatsUrl(), name: "hostile-publisher" });
    const applied: number[] = [];
    // The replica's own acks (the table forges one from instance "forged").
    const sub = bus.subscribe(subjects.ack(name, "classifier", "classifier-0"), control.AssignmentAck, (a) => void (a.applied && applied.push(a.version)));
    const refusedAcks: control.AssignmentAck[] = [];
    const sub2 = bus.subscribe(subjects.ack(name, "classifier", "classifier-0"), control.AssignmentAck, (a) => void (!a.applied && refusedAcks.push(a)));
    await bus.flush();
    const deadline = Date.now() + 150_000;
    while (!stdout.includes(`Fulcrum is up: pipeline "${name}"`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stdout).toContain(`Fulcrum is up: pipeline "${name}"`);
    // Load flows and the optimizer has decided before the burst.
    await expect.poll(() => applied.filter((v) => v < 1e12).length, { timeout: 30_000, interval: 200 }).toBeGreaterThan(0);

    const stage = "classifier";
    const instance = `${stage}-0`;
    const burstUnixMs = Date.now();
    const kvs = new Map<string, Awaited<ReturnType<Bus["kv"]>>>();
    for (const row of table(name, stage, instance)) {
      if (row.target.startsWith("kv:")) {
        const [, bucket = "", key = ""] = row.target.split(":");
        if (!kvs.has(bucket)) kvs.set(bucket, await bus.kv(bucket));
        await kvs.get(bucket)!.put(key, RAW, row.bytes);
      } else {
        bus.publish(row.target, RAW, row.bytes);
      }
    }
    // The version authority itself: an out-of-bounds entry (as if the optimizer had a bug) is refused
    // by the stage with an acked reason; the optimizer then numbers its next version above it.
    const assignments = await bus.kv(KV_BUCKETS.assignments);
    const stored = await assignments.get(kvKeys.assignment(name), control.Assignment);
    const bad = (stored?.version ?? 0) + 1;
    await assignments.put(kvKeys.assignment(name), control.Assignment, {
      pipeline: name, version: bad, policy: "forged", createdUnixMs: Date.now(), reason: "forged",
      stages: [{ stage, variants: [{ variant: "mlp", weight: 1, batch: 4096, coresPerReplica: 64, replicas: 1e9 }] }],
    });
    await bus.flush();
    await expect.poll(() => refusedAcks.find((a) => a.version === bad), { timeout: 20_000 }).toBeDefined();
    expect(refusedAcks.find((a) => a.version === bad)!.error).toMatch(/stages\[0\]\.variants\[0\]\.(cores_per_replica|batch|replicas): /);
    // The optimizer's next real Assignment applies.
    await expect.poll(() => applied.some((v) => v > bad && v < 1e12), { timeout: 30_000, interval: 200 }).toBe(true);

    const code = await exited;
    await sub.stop();
    await sub2.stop();
    expect(code, stdout).toBe(0);
    expect(stdout).not.toContain("exited unexpectedly");
    expect(applied).not.toContain(1e12);
    expect(applied).not.toContain(2e9);

    const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as {
      stopReason: string;
      status: { assignmentVersion: number; highestApplied: number };
      loadgen: { sent: number; inTime: number; late: number; rejectedWithReason: number; failed: number; unaccounted: number };
    };
    expect(summary.stopReason).toBe("--duration 50");
    expect(summary.status.assignmentVersion).toBeGreaterThan(bad);
    expect(summary.status.assignmentVersion).toBeLessThan(1e12);
    expect(summary.status.highestApplied).toBeLessThan(1e12);
    expect(summary.loadgen.unaccounted).toBe(0);
    expect(summary.loadgen.sent).toBe(summary.loadgen.inTime + summary.loadgen.late + summary.loadgen.rejectedWithReason);
    expect(summary.loadgen.failed, stdout).toBe(0);
    // Serving carries on after the burst: requests still get the model's answer in time, at a share
    // not below half the share before it (the absolute share is the busy machine's, not the guard's).
    const startedMs = Date.parse((JSON.parse(readFileSync(join(runDir, "loadgen-report.json"), "utf8")) as { startedAt: string }).startedAt);
    const records = readFileSync(join(runDir, "loadgen-records.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { atMs: number; fate: string });
    const inTimeShare = (rs: ReadonlyArray<{ fate: string }>): number => rs.filter((r) => r.fate === "in-time").length / rs.length;
    const before = records.filter((r) => startedMs + r.atMs < burstUnixMs);
    const after = records.filter((r) => startedMs + r.atMs >= burstUnixMs + 1000);
    expect(after.length, stdout).toBeGreaterThan(50);
    expect(after.filter((r) => r.fate === "in-time").length, stdout).toBeGreaterThan(0);
    if (before.length >= 20) expect(inTimeShare(after), `before ${inTimeShare(before)} of ${before.length}\n${stdout}`).toBeGreaterThanOrEqual(0.5 * inTimeShare(before));

    // Each service logged its refusals naming the field.
    const log = (service: string): string => readFileSync(join(runDir, `${service}.log`), "utf8");
    const fields = (text: string, what: string): string[] =>
      text.split("\n").filter((l) => l.includes(`refused ${what}`)).map((l) => (JSON.parse(l) as { field?: string }).field ?? "");
    expect(fields(log("monitor"), "GatewayMetrics")).toEqual(expect.arrayContaining(["pipeline", "arrivals", "window_start_unix_ms"]));
    expect(fields(log("monitor"), "StageMetrics")).toEqual(expect.arrayContaining(["pipeline", "arrivals"]));
    expect(fields(log("predictor"), "LoadSample")).toEqual(expect.arrayContaining(["pipeline", "arrivals_rps"]));
    expect(fields(log("optimizer"), "Forecast")).toEqual(expect.arrayContaining(["pipeline", "peak_rps"]));
    expect(fields(log("optimizer"), "LoadSample")).toEqual(expect.arrayContaining(["arrivals_rps"]));
    expect(fields(log("optimizer"), "RegistryEntry")).toEqual(expect.arrayContaining(["heartbeat_unix_ms"]));
    for (const service of ["stage-0", "gateway"]) {
      expect(log(service), service).toMatch(/ignoring a broadcast Assignment v1000000000000: the pipeline's Assignment in KV/);
      expect(log(service), service).toMatch(/refusing Assignment v\d+: stages\[0\]\.variants\[0\]\./);
    }
    expect(log("optimizer")).toMatch(/assignments KV changed under the optimizer/);
    // Undecodable bytes are counted and logged by the bus, naming the subject.
    for (const service of ["monitor", "predictor", "optimizer", "stage-0", "gateway"]) expect(log(service), service).toMatch(/dropped undecodable message/);
    expect(stdout).toMatch(/status: refused (GatewayMetrics|AssignmentAck|RegistryEntry)/);
  });
});
