import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { NODE_FLAGS, SERVICE_NODE_FLAGS, serviceNodeFlags, serviceSourceArgv, spawnService } from "./service-process.js";

describe("spawnService", () => {
  it("gives a service's entry its own flags, and none to any other entry", () => {
    expect(serviceNodeFlags("services/gateway/src/main.ts")).toEqual(["--max-semi-space-size=2", "--single-threaded-gc"]);
    expect(serviceNodeFlags("services/stage/src/main.ts")).toEqual(["--single-threaded-gc", "--heap-growing-percent=300"]);
    expect(serviceNodeFlags("services/loadgen/src/main.ts")).toEqual(["--max-semi-space-size=2", "--single-threaded-gc"]);
    expect(serviceNodeFlags("services/monitor/src/main.ts")).toEqual([]);
    expect(serviceNodeFlags("services/constructor/src/main.ts")).toEqual([]);
    expect(serviceNodeFlags("probe.mjs")).toEqual([]);
  });

  it("builds a service's source arguments: its flags, the caller's, then tsx and the telemetry preload", () => {
    expect(serviceSourceArgv("services/stage/src/main.ts", ["--cpu-prof"])).toEqual(["--single-threaded-gc", "--heap-growing-percent=300", "--cpu-prof", ...NODE_FLAGS, "services/stage/src/main.ts"]);
    expect(serviceSourceArgv("services/monitor/src/main.ts")).toEqual([...NODE_FLAGS, "services/monitor/src/main.ts"]);
  });

  it("starts a service with its own flags", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-spawn-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "services/gateway/src"), { recursive: true });
    writeFileSync(join(dir, "services/gateway/src/main.mjs"), "console.log(JSON.stringify(process.execArgv));\n");
    const child = spawnService({ name: "gateway", entry: "services/gateway/src/main.mjs", plain: true, env: {} }, dir, dir);
    expect(await child.exited).toBe(0);
    expect(JSON.parse(readFileSync(child.logFile, "utf8").trim())).toEqual(["--max-semi-space-size=2", "--single-threaded-gc"]);
  });

  it("the Docker entry point gives each service the same flags", () => {
    const script = readFileSync(new URL("../../../scripts/docker/entrypoint.sh", import.meta.url), "utf8");
    for (const [service, flags] of Object.entries(SERVICE_NODE_FLAGS)) {
      expect(script).toContain(`if [ "$service" = ${service} ]; then flags="${flags.join(" ")}"; fi`);
    }
  });
});
