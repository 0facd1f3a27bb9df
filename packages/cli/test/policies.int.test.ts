import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Assignment } from "@fulcrum/core";
import { POLICY_NAMES } from "@fulcrum/core/policies";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, testNatsUrl, toDomainAssignment, toDomainRegistryRecord, type Bus, type Stoppable } from "@fulcrum/runtime";
import type { RegistryRecord } from "@fulcrum/core/control";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fulcrumArgv } from "./launcher.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// The launcher's default decision period: two of them (10 s) leave room for a cold start on a busy machine.
const INTERVAL_MS = 5000;
const RUN_S = 60;
/** Launchers run at once (each is a whole system); 5 keeps two rounds on a 2-core machine. */
const CONCURRENCY = Number(process.env.FULCRUM_POLICY_TEST_CONCURRENCY ?? 5);

interface Observed {
  readonly assignments: Array<{ atMs: number; a: Assignment }>;
  /** Every registry state seen: the ready entries after each change. */
  readonly registry: Array<{ atMs: number; ready: RegistryRecord[] }>;
}

/** Whether the ready replicas run exactly what `a` assigns (variant, cores, batch, replicas). */
function matches(a: Assignment, ready: readonly RegistryRecord[]): boolean {
  return a.stages.every((s) => {
    const want = s.variants.filter((v) => v.weight > 0);
    const have = ready.filter((r) => r.stage === s.stage);
    return have.length === want.reduce((n, v) => n + v.replicas, 0) && want.every((v) => have.filter((r) => r.variant === v.variant && r.cores === v.coresPerReplica && r.batch === v.batch).length === v.replicas);
  });
}

/**
 * Every policy runs live for 60 s on elastic replicas (`fulcrum up --policy P`), and the registry
 * shows the replicas, variants and cores each assignment decided within two decision intervals of
 * its publication (for every assignment that stayed in force that long).
 */
/**
 * Ten whole systems on two cores for minutes: run on demand (`npm run test:acceptance`), not in
 * `npm test`. In the last CI-like run vpa's 2-core replica was missing from the registry for more
 * than two intervals (an open defect, see the elastic-replicas issue's note).
 */
const ACCEPTANCE = process.env.FULCRUM_ACCEPTANCE === "1";

describe.skipIf(!ACCEPTANCE)("every policy, live", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-policies-"));
  let bus: Bus;
  const observed = new Map<string, Observed>();
  const subs: Stoppable[] = [];

  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "policies-test" });
    const registry = await bus.kv(KV_BUCKETS.registry);
    for (const policy of POLICY_NAMES) {
      const name = `pol-${policy}-${process.pid}`;
      const o: Observed = { assignments: [], registry: [] };
      observed.set(policy, o);
      const entries = new Map<string, RegistryRecord>();
      subs.push(bus.subscribe(subjects.assignment(name), control.Assignment, (pb) => void o.assignments.push({ atMs: Date.now(), a: toDomainAssignment(pb) })));
      subs.push(
        await registry.watch(kvKeys.registryOfPipeline(name), control.RegistryEntry, (e, key) => {
          if (e) entries.set(key, toDomainRegistryRecord(e));
          else entries.delete(key);
          o.registry.push({ atMs: Date.now(), ready: [...entries.values()].filter((r) => r.state === "ready") });
        }),
      );
    }
    await bus.flush();
  });
  afterAll(async () => {
    for (const s of subs) await s.stop();
    await bus.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (policy: string): Promise<{ code: number | null; out: string }> => {
    const args = fulcrumArgv(
      "up",
      "--name", `pol-${policy}-${process.pid}`, "--policy", policy, "--max-cores", "2", "--interval", String(INTERVAL_MS),
      "--rate", "8", "--duration", String(RUN_S), "--status-every", "30", "--run-dir", join(dir, policy),
    );
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NATS_URL: testNatsUrl(), LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
  };

  it(`runs ${POLICY_NAMES.join(", ")} and the registry follows each assignment within two intervals`, { timeout: 900_000 }, async () => {
    const results = new Map<string, { code: number | null; out: string }>();
    for (let i = 0; i < POLICY_NAMES.length; i += CONCURRENCY) {
      const batch = POLICY_NAMES.slice(i, i + CONCURRENCY);
      const done = await Promise.all(batch.map((p) => run(p)));
      batch.forEach((p, k) => results.set(p, done[k]!));
    }
    const report: string[] = [];
    for (const policy of POLICY_NAMES) {
      const { code, out } = results.get(policy)!;
      expect(code, `${policy}:\n${out.slice(-3000)}`).toBe(0);
      const o = observed.get(policy)!;
      expect(o.assignments.length, `${policy} published no assignment`).toBeGreaterThan(0);
      let checked = 0;
      o.assignments.forEach(({ atMs, a }, k) => {
        const until = o.assignments[k + 1]?.atMs ?? Infinity;
        const deadline = atMs + 2 * INTERVAL_MS;
        if (until < deadline) return; // superseded before it had to be in place
        const states = [o.registry.filter((r) => r.atMs <= atMs).at(-1), ...o.registry.filter((r) => r.atMs > atMs && r.atMs <= deadline)];
        const ok = states.some((s) => s !== undefined && matches(a, s.ready));
        expect(ok, `${policy} v${a.version} (${JSON.stringify(a.stages)}) not in the registry within ${2 * INTERVAL_MS} ms; registry then: ${JSON.stringify(states.at(-1)?.ready.map((r) => [r.variant, r.cores, r.batch]))}`).toBe(true);
        checked += 1;
      });
      expect(checked, `${policy}: no assignment stayed in force for two intervals`).toBeGreaterThan(0);
      report.push(`${policy}: ${o.assignments.length} assignments, ${checked} checked against the registry`);
      const summary = JSON.parse(readFileSync(join(dir, policy, "loadgen-report.json"), "utf8")) as { summary: { unaccounted: number } };
      expect(summary.summary.unaccounted).toBe(0);
    }
    console.log(report.join("\n"));
  });
});
