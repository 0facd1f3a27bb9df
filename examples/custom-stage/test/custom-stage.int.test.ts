/**
 * The example stage, built with its own toolchain and run as a child process exactly as a launcher
 * would (`node dist/main.js` with env config), checked by Fulcrum's conformance kit. The harness
 * imports Fulcrum's packages; the example's own code never does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { conformanceCommand } from "../../../packages/cli/src/commands/conformance.js";
import { CLAUSES, runConformance, type ConformanceTarget } from "@fulcrum/cli/conformance";
import { testNatsUrl } from "@fulcrum/runtime";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { provisionRegistryBucket } from "../../../packages/cli/test/registry-bucket.js";

const dir = fileURLToPath(new URL("..", import.meta.url));
const running: ChildProcess[] = [];

/** Starts the example; resolves once it logs "stage ready". */
function startExample(pipeline: string, instance: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: dir,
    env: { PATH: process.env.PATH, NATS_URL: testNatsUrl(), FULCRUM_STAGE_PIPELINE: pipeline, FULCRUM_STAGE_STAGE: "preprocess", FULCRUM_STAGE_INSTANCE: instance, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not become ready in 20 s:\n${out}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (out.includes('"msg":"stage ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on("data", (d: Buffer) => void (out += d.toString("utf8")));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`example exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/** Exit code of `child`, waiting up to `ms`. */
function exitCode(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example still running ${ms} ms later`)), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const target = (pipeline: string, instance: string, over: Partial<ConformanceTarget> = {}): ConformanceTarget => ({
  pipeline, stage: "preprocess", instance, natsUrl: testNatsUrl(), timeoutMs: 10_000, drain: false, ...over,
});

describe("examples/custom-stage against the conformance kit", () => {
  beforeAll(async () => {
    if (!existsSync(`${dir}/node_modules/@grpc/grpc-js`)) throw new Error(`${dir} has no node_modules: run \`npm run setup\` (it runs npm ci there)`);
    // Its own TypeScript build, as its README says: a type error in the example fails here.
    const build = spawnSync("npm", ["run", "build"], { cwd: dir, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`example build failed:\n${build.stdout}\n${build.stderr}`);
    await provisionRegistryBucket(testNatsUrl());
  }, 120_000);

  afterEach(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exitCode(child, 15_000).catch(() => child.kill("SIGKILL"));
      }
    }
  });

  it("passes every clause, drain included, and exits 0 after draining", async () => {
    const child = await startExample("conf-example", "e0");
    const report = await runConformance(target("conf-example", "e0", { drain: true }));
    const failed = report.results.filter((r) => r.status !== "pass");
    expect(failed.map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    expect(report.results.map((r) => r.id)).toEqual(CLAUSES.map((c) => c.id));
    expect(await exitCode(child, 15_000)).toBe(0);
  }, 120_000);

  it("without heartbeats (FULCRUM_STAGE_BREAK=heartbeat) fails registry.heartbeat", async () => {
    const child = await startExample("conf-broken-hb", "e0", { FULCRUM_STAGE_BREAK: "heartbeat" });
    const clauses = CLAUSES.filter((c) => ["registry.entry", "health", "registry.heartbeat"].includes(c.id));
    const report = await runConformance(target("conf-broken-hb", "e0"), { clauses });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ["registry.entry", "pass"],
      ["health", "pass"],
      ["registry.heartbeat", "fail"],
    ]);
    expect(report.results[2]!.detail).toMatch(/no newer heartbeat within 6000 ms/);
    expect(report.passed).toBe(false);
    // SIGTERM drains like a drain request: deregister, exit 0.
    child.kill("SIGTERM");
    expect(await exitCode(child, 15_000)).toBe(0);
  }, 60_000);

  it("without acks (FULCRUM_STAGE_BREAK=acks) fails assignment.ack, and `fulcrum conformance` exits 1", async () => {
    await startExample("conf-broken-ack", "e0", { FULCRUM_STAGE_BREAK: "acks" });
    const lines: string[] = [];
    let code = 0;
    const cmd = conformanceCommand({ out: (l) => void lines.push(l), fail: (c) => void (code = c) });
    await cmd.parseAsync(["--pipeline", "conf-broken-ack", "--stage", "preprocess", "--instance", "e0", "--nats", testNatsUrl(), "--timeout-ms", "2000"], { from: "user" });
    const status = (id: string): string | undefined => lines.find((l) => l.split(/\s+/)[1] === id)?.split(/\s+/)[0];
    expect(status("assignment.ack"), lines.join("\n")).toBe("FAIL");
    expect(lines.find((l) => l.includes("assignment.ack"))).toMatch(/no ack of v1 on fulcrum\.ack\.conf-broken-ack\.preprocess\.e0 within 2000 ms/);
    for (const id of ["registry.entry", "registry.heartbeat", "oip.metadata", "oip.infer", "oip.deadline", "metrics.cadence"]) expect(status(id), lines.join("\n")).toBe("PASS");
    expect(status("drain")).toBe("SKIP");
    expect(lines.at(-1)).toMatch(/DOES NOT CONFORM/);
    expect(code).toBe(1);
  }, 90_000);
});
