import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startNatsServer, type NatsServerHandle } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const USERS = ["optimizer", "stage", "gateway", "monitor", "predictor", "launcher"] as const;
const LAUNCHER_PASSWORD = `p${process.pid}launcher`;

/** `fulcrum reconcile` with the given extra environment; resolves with its exit code and output. */
function reconcile(url: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const args = ["--conditions=@fulcrum/source", "--import", "tsx", "packages/cli/src/bin.ts", "reconcile", "--pipeline", "p", "--core-budget", "2", "--bootstrap", '{"s":[{"variant":"v"}]}', "--metrics-port", "0", "--nats-url", url, "--nats-user", "launcher"];
  // No Kubernetes here: a kubeconfig that does not exist makes the run stop right after NATS.
  const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, KUBECONFIG: "/nonexistent/kubeconfig", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

/**
 * `fulcrum reconcile` connects with the NATS user and password it is given (`--nats-user`,
 * `NATS_PASSWORD`), like the services: against a server running infra/nats-auth.conf, the
 * launcher's password gets it past NATS, a wrong one is refused.
 */
describe("fulcrum reconcile: NATS credentials", () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    const env = Object.fromEntries(USERS.map((u) => [`FULCRUM_NATS_${u.toUpperCase()}_PASSWORD`, u === "launcher" ? LAUNCHER_PASSWORD : `p${u}${process.pid}`]));
    nats = await startNatsServer({ configFile: fileURLToPath(new URL("../../../infra/nats-auth.conf", import.meta.url)), env });
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("the launcher's password gets it past NATS (it stops at the missing kubeconfig); a wrong one is refused", { timeout: 120_000 }, async () => {
    const good = await reconcile(nats.url, { NATS_PASSWORD: LAUNCHER_PASSWORD });
    expect(good.code).toBe(1);
    expect(good.out).toContain("cannot use the Kubernetes API");
    expect(good.out).not.toContain("cannot reach NATS");

    const wrong = await reconcile(nats.url, { NATS_PASSWORD: "pwrong" });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain("cannot reach NATS");
    expect(wrong.out).toContain("Authorization Violation");
  });
});
