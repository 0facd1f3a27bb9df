import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testNatsUrl } from "@fulcrum/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { alive, childrenOf, killLeftovers, recordsSoFar, sleep, startUp, waitFor } from "./fault-harness.js";

interface Summary {
  exitCode: number;
  stopReason: string;
  restarts: Array<{ name: string; restarts: number }>;
  children: Array<{ name: string; pid: number; exit: number | string | null }>;
  loadgen: { sent: number; inTime: number; late: number; rejectedWithReason: number; failed: number; unaccounted: number; ledgerExact: boolean };
}

/**
 * Ctrl-C in a terminal signals the whole foreground process group: the launcher and every service
 * it started get SIGINT at once. The services then stop on their own while the launcher's ordered
 * shutdown is still stopping the load; that is a shutdown, not a crash to report and restart.
 */
describe("fulcrum up: Ctrl-C", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-ctrl-c-"));
  const runDir = join(dir, "run");
  const summaryFile = join(dir, "summary.json");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stops with no crash reported and no service restarted, every process gone, the ledger exact", { timeout: 420_000 }, async () => {
    const up = startUp(["--name", `ctrl-c-${process.pid}`, "--rate", "15", "--loadgen-duration", "600", "--interval", "3000", "--summary-file", summaryFile, "--run-dir", runDir], { NATS_URL: testNatsUrl() }, { detached: true });
    try {
      await up.waitForOutput("Fulcrum is up", 360_000);
      await waitFor(() => `the load generator's first requests (${recordsSoFar(runDir)})`, () => recordsSoFar(runDir) >= 30, 120_000);
      await sleep(3000);
      const pids = childrenOf(up.pid).map((c) => c.pid);
      process.kill(-up.pid, "SIGINT");
      expect(await up.exited, up.output()).toBe(0);
      expect(up.output()).not.toContain("exited unexpectedly");
      expect(up.output()).not.toContain("restarting in");
      const s = JSON.parse(readFileSync(summaryFile, "utf8")) as Summary;
      expect(s).toMatchObject({ exitCode: 0, stopReason: "SIGINT", restarts: [] });
      expect(pids.filter(alive)).toEqual([]);
      expect(s.children.filter((c) => alive(c.pid))).toEqual([]);
      const l = s.loadgen;
      expect(l.sent).toBeGreaterThan(30);
      expect(l).toMatchObject({ unaccounted: 0, ledgerExact: true });
      expect(l.sent).toBe(l.inTime + l.late + l.rejectedWithReason + l.failed);
    } finally {
      await killLeftovers(up);
    }
  });
});
