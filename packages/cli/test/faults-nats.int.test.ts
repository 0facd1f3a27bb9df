import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { control, subjects } from "@fulcrum/proto";
import { connectBus, freePort, startNatsServer, type Bus, type NatsServerHandle } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, childrenOf, killLeftovers, ledger, readLoad, recordsSoFar, RegistryView, sleep, startUp, waitFor, type UpProcess } from "./fault-harness.js";

/** The static policy with two 1-core `linear` replicas: the faults, not the policy, change the system. */
const TWO_REPLICAS = JSON.stringify({ stages: { classifier: { variant: "linear", batch: 8, coresPerReplica: 1, replicas: 2 } } });

/** How long NATS stays down, ms (issue 12's acceptance: 20 s). */
const OUTAGE_MS = 20_000;
/** Bound on stopping everything while NATS is down, ms (issue 12's acceptance). */
const SHUTDOWN_BOUND_MS = 15_000;

/**
 * The control plane away under load: `fulcrum up` (elastic, two static replicas, 30 rps) against a
 * nats-server this test owns. NATS is SIGKILLed for 20 s and started again on the same port with
 * the same store: serving goes on as before (in-time share within 5 pp), the services reconnect
 * (registry heartbeats and gateway metrics flow again). Then NATS is killed once more and
 * `fulcrum up` is stopped: within 15 s, every process gone.
 */
describe("faults: NATS down under load", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-faults-nats-"));
  const storeDir = join(dir, "js");
  const runDir = join(dir, "run");
  const summaryFile = join(dir, "summary.json");
  const name = `faults-nats-${process.pid}`;
  let port: number;
  let nats: NatsServerHandle;
  let up: UpProcess;
  const outage = { startMs: 0, endMs: 0 };

  /** A fresh connection and registry view (a view from before the outage proves nothing about after it). */
  const observe = async (): Promise<{ bus: Bus; registry: RegistryView; gatewayMetricsAtMs: number[] }> => {
    const bus = await connectBus({ servers: nats.url, name: "faults-nats-test" });
    const registry = new RegistryView();
    await registry.start(bus, name);
    const gatewayMetricsAtMs: number[] = [];
    bus.subscribe(subjects.gatewayMetrics(name), control.GatewayMetrics, () => void gatewayMetricsAtMs.push(Date.now()));
    await bus.flush();
    return { bus, registry, gatewayMetricsAtMs };
  };

  beforeAll(async () => {
    port = await freePort();
    nats = await startNatsServer({ port, storeDir });
    up = startUp(
      ["--name", name, "--policy", "static", "--policy-config", TWO_REPLICAS, "--max-cores", "2", "--interval", "3000", "--rate", "30", "--loadgen-duration", "600", "--status-every", "10", "--summary-file", summaryFile, "--run-dir", runDir],
      { NATS_URL: nats.url },
    );
    await up.waitForOutput("Fulcrum is up", 360_000);
    const o = await observe();
    try {
      await waitFor(() => `two ready replicas; registry ${JSON.stringify([...o.registry.entries.values()].map((r) => [r.instance, r.state]))}`, () => o.registry.ready().length === 2, 180_000);
    } finally {
      await o.registry.stop();
      await o.bus.drain();
    }
    // The "before" window: 20 s of steady load on two replicas (the load generator may start slowly).
    await waitFor(() => `the load generator's first requests (${recordsSoFar(runDir)})`, () => recordsSoFar(runDir) >= 100, 180_000);
    await sleep(22_000);
  }, 600_000);

  afterAll(async () => {
    if (up) await killLeftovers(up);
    await nats?.stop();
    if (!process.env.FULCRUM_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("keeps serving through a 20 s outage, and the services reconnect after it", { timeout: 180_000 }, async () => {
    process.kill(nats.pid!, "SIGKILL");
    await nats.stop();
    outage.startMs = Date.now();
    await sleep(OUTAGE_MS);
    expect(alive(up.pid), up.output()).toBe(true);
    nats = await startNatsServer({ port, storeDir });
    outage.endMs = Date.now();
    const o = await observe();
    try {
      // Registry: both replicas heartbeat again (entries written after the restart).
      await waitFor(
        () => `fresh heartbeats of two replicas; registry ${JSON.stringify([...o.registry.entries.values()].map((r) => [r.instance, r.state, outage.endMs - r.heartbeatMs]))}`,
        () => o.registry.ready().filter((r) => r.heartbeatMs >= outage.endMs).length === 2,
        60_000,
      );
      // Metrics: the gateway publishes its windows again.
      await waitFor(() => "gateway metrics after the outage", () => o.gatewayMetricsAtMs.length >= 2, 60_000);
    } finally {
      await o.registry.stop();
      await o.bus.drain();
    }
    // The gateway re-checks every probe interval (2 s) and its log reaches the file through a pipe:
    // the line follows the fresh heartbeats by a few seconds, not at once.
    await waitFor(() => "the gateway's 'control plane back' log line", () => readFileSync(join(runDir, "gateway.log"), "utf8").includes("control plane back"), 15_000);
    await sleep(10_000); // load after the outage
  });

  it("stops within 15 s with NATS down, every process gone, every request with its fate", { timeout: 120_000 }, async () => {
    const pids = childrenOf(up.pid).map((c) => c.pid);
    expect(pids.length).toBeGreaterThanOrEqual(6); // monitor, gateway, optimizer, predictor, loadgen, replicas
    process.kill(nats.pid!, "SIGKILL");
    await nats.stop();
    await sleep(2000);
    const t0 = Date.now();
    up.child.kill("SIGTERM");
    const code = await Promise.race([up.exited, sleep(60_000).then(() => "still running after 60 s")]);
    const stopMs = Date.now() - t0;
    expect(code, up.output()).toBe(0);
    expect(stopMs, up.output().split("\n").slice(-30).join("\n")).toBeLessThanOrEqual(SHUTDOWN_BOUND_MS);
    expect(pids.filter(alive)).toEqual([]);
    const s = JSON.parse(readFileSync(summaryFile, "utf8")) as { stopReason: string; elastic: { replicaProcesses: Array<{ pid: number }> } };
    expect(s.stopReason).toBe("SIGTERM");
    expect(s.elastic.replicaProcesses.filter((r) => alive(r.pid))).toEqual([]);

    const { records, startMs, summary } = readLoad(runDir);
    const l = ledger(records);
    expect(summary.unaccounted).toBe(0);
    expect(l.sent).toBe(summary.sent);
    expect(l.sent).toBe(l.inTime + l.late + l.rejected + l.failed);
    expect(l.failed, JSON.stringify(summary.byCode)).toBe(0);
    // In-time share during the outage within 5 pp of the 20 s before it.
    const during = ledger(records.filter((r) => r.sentMs >= outage.startMs - startMs && r.sentMs < outage.endMs - startMs));
    const before = ledger(records.filter((r) => r.sentMs >= outage.startMs - startMs - 20_000 && r.sentMs < outage.startMs - startMs));
    expect(before.sent).toBeGreaterThan(400);
    expect(during.sent).toBeGreaterThan(400);
    const share = (x: typeof l): number => x.inTime / x.sent;
    console.log(`faults-nats: before ${JSON.stringify(before)}, during ${JSON.stringify(during)}, whole run ${JSON.stringify(l)} ${JSON.stringify(summary.byCode)}; stopped in ${stopMs} ms`);
    expect(Math.abs(share(during) - share(before)), `in time before ${(100 * share(before)).toFixed(1)} %, during ${(100 * share(during)).toFixed(1)} %`).toBeLessThanOrEqual(0.05);
  });
});
