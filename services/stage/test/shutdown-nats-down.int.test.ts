import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startNatsServer, type NatsServerHandle } from "@fulcrum/runtime";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

/** What the launcher allows a stage before SIGKILL (`fulcrum up`'s grace with NATS away), ms. */
const LAUNCHER_GRACE_MS = 5000;
/** The bound this test holds the stage to: well inside the launcher's grace. */
const EXIT_BOUND_MS = 2500;

/**
 * A stage replica told to stop while NATS is down exits by itself, quickly: it does not wait on
 * registry writes or a drain that cannot reach the server (its registry entry expires by TTL).
 * One real stage process (the composition root, signal handlers included) and a private
 * nats-server this test stops.
 */
describe("stage shutdown with NATS down", () => {
  let nats: NatsServerHandle | undefined;
  let kill: (() => void) | undefined;
  afterAll(async () => {
    kill?.();
    await nats?.stop();
  });

  it(`exits 0 on SIGTERM within ${EXIT_BOUND_MS} ms and says the registry entry is left to its TTL`, { timeout: 90_000 }, async () => {
    nats = await startNatsServer();
    const child = spawn(process.execPath, ["--conditions=@fulcrum/source", "--import", "tsx", "services/stage/src/main.ts"], {
      cwd: repo,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        LOG_LEVEL: "info",
        FULCRUM_STAGE_PIPELINE: `down-${process.pid}`,
        FULCRUM_STAGE_STAGE: "classifier",
        FULCRUM_STAGE_INSTANCE: "s0",
        FULCRUM_STAGE_FAMILY: "fashion",
        FULCRUM_STAGE_VARIANT: "linear",
        FULCRUM_STAGE_GRPC_HOST: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    kill = () => child.kill("SIGKILL");
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (log += d.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((r) => child.once("exit", (code, signal) => r({ code, signal, atMs: Date.now() })));
    const waitLog = async (text: string, timeoutMs: number): Promise<void> => {
      const end = Date.now() + timeoutMs;
      while (!log.includes(text)) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`no "${text}" in the stage's log within ${timeoutMs} ms:\n${log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    await waitLog('"msg":"stage ready"', 60_000);
    await nats.stop();
    // The stage's bus has seen the server go (its connection says so), as a stage in an outage would.
    await waitLog('"msg":"nats disconnect"', 10_000);

    const t0 = Date.now();
    child.kill("SIGTERM");
    const exit = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), LAUNCHER_GRACE_MS + 5000))]);
    expect(exit, `the stage did not exit within ${LAUNCHER_GRACE_MS + 5000} ms:\n${log.slice(-3000)}`).toBeDefined();
    const tookMs = exit!.atMs - t0;
    console.info(`stage shutdown with NATS down: exited ${exit!.code ?? exit!.signal} after ${tookMs} ms (bound ${EXIT_BOUND_MS} ms)`);
    expect({ code: exit!.code, signal: exit!.signal }).toEqual({ code: 0, signal: null });
    expect(tookMs, `shutdown took ${tookMs} ms:\n${log.slice(-3000)}`).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect(log).toContain("registry entry left to expire");
    kill = undefined;
  });
});
