import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "@fulcrum/runtime";
import { fulcrumArgv } from "./launcher.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("fulcrum up: environment checked before anything starts", () => {
  it("refuses a bad FULCRUM_SOURCE_MAPS with one line naming it, exit 1, and starts nothing", { timeout: 60_000 }, async () => {
    const port = await freePort(); // nothing listens: a launcher that went on would start its own nats-server
    const child = spawn(process.execPath, fulcrumArgv("up", "--duration", "5"), {
      cwd: ROOT,
      env: { ...process.env, FULCRUM_SOURCE_MAPS: "maybe", NATS_URL: `nats://127.0.0.1:${port}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code, output).toBe(1);
    expect(output).toContain(`fulcrum up: FULCRUM_SOURCE_MAPS: must be true or false, got "maybe"`);
    expect(output).not.toContain("nats:");
    expect(output).not.toContain("exited unexpectedly");
  });
});
