import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replacementBoundMs } from "@fulcrum/actuator";
import { connectBus, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, childrenOf, killLeftovers, ledger, readLoad, recordsSoFar, RegistryView, serviceProcesses, sleep, startUp, waitFor, type LoadRecord, type UpProcess } from "./fault-harness.js";

/** The static policy with two 1-core `linear` replicas: the faults, not the policy, change the system. */
const TWO_REPLICAS = JSON.stringify({ stages: { classifier: { variant: "linear", batch: 8, coresPerReplica: 1, replicas: 2 } } });

interface Summary {
  exitCode: number;
  stopReason: string;
  restarts: Array<{ name: string; restarts: number }>;
  children: Array<{ name: string; pid: number; exit: number | string | null }>;
  elastic: { replicaProcesses: Array<{ instance: string; pid: number }>; actions: Record<string, number> };
}

/** The load generator's client deadline is SLO + this grace (its default): an answer that late never came. */
const LOADGEN_GRACE_MS = 2000;

/** A request's fate, telling a server's reasoned refusal from the client giving up at its own deadline. */
function fateOf(r: LoadRecord): string {
  if (r.code === "DEADLINE_EXCEEDED" && r.latencyMs >= r.sloMs + LOADGEN_GRACE_MS) return "client gave up";
  return r.code ? `${r.fate}:${r.code}` : r.fate;
}

/**
 * Fault injection with real processes: `fulcrum up` (elastic replicas, the static policy
 * asking for two 1-core replicas, 30 rps of load) while a stage replica, then the monitor, then the optimizer are
 * SIGKILLed. The system keeps serving through each, the reconciler replaces the replica within its
 * stated bound, the supervisor restarts the services, and every request has its fate.
 */
describe("faults: processes killed under load", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-faults-"));
  const runDir = join(dir, "run");
  const summaryFile = join(dir, "summary.json");
  const name = `faults-${process.pid}`;
  const registry = new RegistryView();
  let bus: Bus;
  let up: UpProcess;
  let killedReplica: { instance: string; atMs: number } | undefined;
  const serviceKills: Array<{ service: string; atMs: number; backAtMs: number }> = [];

  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "faults-test" });
    await registry.start(bus, name);
    up = startUp(
      ["--name", name, "--policy", "static", "--policy-config", TWO_REPLICAS, "--max-cores", "2", "--interval", "3000", "--rate", "30", "--loadgen-duration", "600", "--status-every", "10", "--summary-file", summaryFile, "--run-dir", runDir],
      { NATS_URL: testNatsUrl() },
    );
    await up.waitForOutput("Fulcrum is up", 360_000);
    // Two replicas: the bootstrap one, then a second once the first assignment is in force.
    await waitFor(() => `two ready replicas; registry ${JSON.stringify([...registry.entries.values()].map((r) => [r.instance, r.state]))}`, () => registry.ready().length === 2, 180_000);
    // The load runs (its process may start slowly on a loaded machine): 20 s of it before any fault.
    await waitFor(() => `the load generator's first requests (${recordsSoFar(runDir)})`, () => recordsSoFar(runDir) >= 100, 180_000);
    await sleep(20_000);
  }, 600_000);

  afterAll(async () => {
    if (up) await killLeftovers(up);
    await registry.stop();
    await bus?.drain();
    if (!process.env.FULCRUM_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("replaces a SIGKILLed stage replica within the reconciler's bound while serving continues", { timeout: 240_000 }, async () => {
    const before = new Set(registry.ready().map((r) => r.instance));
    const victim = serviceProcesses(up.pid, "stage").find((p) => before.has(p.env.FULCRUM_STAGE_INSTANCE ?? ""));
    expect(victim, `a stage replica process among ${JSON.stringify(childrenOf(up.pid).map((c) => c.cmd))}`).toBeDefined();
    const instance = victim!.env.FULCRUM_STAGE_INSTANCE!;
    process.kill(victim!.pid, "SIGKILL");
    killedReplica = { instance, atMs: Date.now() };
    const bound = replacementBoundMs();
    // A replacement (a new instance) is registered ready, and two replicas serve again.
    const replacedMs = await waitFor(
      () => `a replacement of ${instance}; registry ${JSON.stringify([...registry.entries.values()].map((r) => [r.instance, r.state]))}`,
      () => {
        const ready = registry.ready().map((r) => r.instance);
        return ready.length === 2 && !ready.includes(instance) && ready.some((i) => !before.has(i));
      },
      bound,
    );
    expect(replacedMs).toBeLessThanOrEqual(bound);
    expect(alive(up.pid), up.output()).toBe(true);
  });

  for (const service of ["monitor", "optimizer"]) {
    it(`restarts a SIGKILLed ${service} while serving continues`, { timeout: 180_000 }, async () => {
      const [proc] = serviceProcesses(up.pid, service);
      expect(proc, `the ${service} process`).toBeDefined();
      const restartsBefore = up.output().split(`${service}: back (restart`).length - 1;
      process.kill(proc!.pid, "SIGKILL");
      const atMs = Date.now();
      await up.waitForOutput(`${service}: back (restart ${restartsBefore + 1})`, 150_000);
      serviceKills.push({ service, atMs, backAtMs: Date.now() });
      const [again] = serviceProcesses(up.pid, service);
      expect(again?.pid).toBeDefined();
      expect(again!.pid).not.toBe(proc!.pid);
      expect(up.output()).toMatch(new RegExp(`${service} exited unexpectedly \\(SIGKILL\\)`));
      expect(alive(up.pid)).toBe(true);
      // The stages never depended on it: still two replicas serving.
      expect(registry.ready().length).toBe(2);
    });
  }

  it("stops on SIGTERM with every process gone, and every request has its fate", { timeout: 120_000 }, async () => {
    // Load after the last fault: at least 10 s after the kill, 5 s after the restart.
    const lastKillMs = Math.max(...serviceKills.map((k) => k.atMs));
    await sleep(Math.max(5000, lastKillMs + 10_000 - Date.now()));
    const pids = childrenOf(up.pid).map((c) => c.pid);
    up.child.kill("SIGTERM");
    expect(await up.exited, up.output()).toBe(0);
    const s = JSON.parse(readFileSync(summaryFile, "utf8")) as Summary;
    expect(s).toMatchObject({ exitCode: 0, stopReason: "SIGTERM" });
    expect(s.restarts.map((r) => r.name).sort()).toEqual(["monitor", "optimizer"]);
    expect(pids.filter(alive)).toEqual([]);
    expect(s.children.filter((c) => alive(c.pid))).toEqual([]);
    expect(s.elastic.replicaProcesses.filter((r) => alive(r.pid))).toEqual([]);
    expect(s.elastic.actions.forget ?? 0, "the dead replica was forgotten").toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(runDir, "reconciler.log"), "utf8")).toContain("replica exited unexpectedly");

    const { records, startMs, summary } = readLoad(runDir);
    const l = ledger(records);
    // Requests in flight on the killed replica: sent before the kill, answered after it.
    const killMs = killedReplica!.atMs - startMs;
    const inFlightAtKill = records.filter((r) => r.sentMs <= killMs && r.sentMs + r.latencyMs >= killMs);
    const fates = (rs: readonly LoadRecord[]): string => JSON.stringify(Object.fromEntries([...new Set(rs.map(fateOf))].map((f) => [f, rs.filter((r) => fateOf(r) === f).length])));
    const windows = [["replica kill", killedReplica!.atMs], ...serviceKills.map((k) => [`${k.service} kill`, k.atMs] as const)].map(([what, atMs]) => {
      const t = Number(atMs) - startMs;
      return { what, atMs: Number(atMs), before: ledger(records.filter((r) => r.sentMs >= t - 20_000 && r.sentMs < t)), after: ledger(records.filter((r) => r.sentMs >= t && r.sentMs < t + 20_000)) };
    });
    console.log(`faults-processes: ledger ${JSON.stringify(l)} ${JSON.stringify(summary.byCode)}; in flight on the killed replica ${inFlightAtKill.length}: ${fates(inFlightAtKill)}; ${windows.map((w) => `${w.what}: 20 s before ${JSON.stringify(w.before)}, after ${JSON.stringify(w.after)}`).join("; ")}`);

    expect(l.sent).toBe(summary.sent);
    expect(summary.unaccounted).toBe(0);
    expect(l.sent).toBe(l.inTime + l.late + l.rejected + l.failed);
    expect(l.sent).toBeGreaterThan(30 * 30);
    // Only requests in flight on the killed process may have failed (the gateway retries them on the
    // other replica, so none should); each of those was answered, or refused with a reason by the
    // gateway, not left for the client to give up on.
    const failed = records.filter((r) => r.fate === "failed");
    expect(failed.filter((r) => !inFlightAtKill.includes(r)).map((r) => `${r.seq} ${r.code}: ${r.details}`)).toEqual([]);
    // (A starved machine makes the client give up on some requests anyway: no more of those among
    // the requests in flight at the kill than among those in flight 10 s before it, plus 5 pp; the
    // same sampling, since long requests are likelier to be in flight at any instant.)
    const gaveUp = (rs: readonly LoadRecord[]): number => rs.filter((r) => fateOf(r) === "client gave up").length;
    const baseline = records.filter((r) => r.sentMs <= killMs - 10_000 && r.sentMs + r.latencyMs >= killMs - 10_000);
    expect(gaveUp(inFlightAtKill), `in flight ${fates(inFlightAtKill)}; 20 s before ${fates(baseline)}`).toBeLessThanOrEqual(Math.ceil(inFlightAtKill.length * (gaveUp(baseline) / Math.max(1, baseline.length) + 0.05)));
    // Serving never stopped: in each 5 s of the 20 s after every fault, requests were answered (in time
    // or late). How many of them (a replacement's cold start competes for the same 2 cores) is in the
    // log line above, not asserted: on a shared machine it says more about the neighbours.
    const loadEndMs = Math.max(...records.map((r) => r.sentMs));
    for (const w of windows) {
      const t = w.atMs - startMs;
      // More than a third of the 30 rps offered, over the part of the 20 s the load covered (the
      // run is stopped 10 s after the last fault, so its window is cut short).
      const coveredMs = Math.min(20_000, loadEndMs - t);
      expect(w.before.sent, `${w.what}: requests in the 20 s before it`).toBeGreaterThan(200);
      expect(w.after.sent, `${w.what}: requests in the ${Math.round(coveredMs / 1000)} s after it that the load covered`).toBeGreaterThan((200 * coveredMs) / 20_000);
      // (Only the 5 s spans the load covered.)
      const answeredPer5s = [0, 1, 2, 3].filter((k) => t + 5000 * (k + 1) <= loadEndMs).map((k) => records.filter((r) => r.sentMs >= t + 5000 * k && r.sentMs < t + 5000 * (k + 1) && (r.fate === "in-time" || r.fate === "late")).length);
      expect(answeredPer5s.every((n) => n > 0), `${w.what}: answered per 5 s after it ${JSON.stringify(answeredPer5s)}`).toBe(true);
    }
  });
});
