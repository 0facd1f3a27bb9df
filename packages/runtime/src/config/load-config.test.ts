import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { envBoolean, loadConfig, toEnvName } from "./load-config.js";

const schema = z.object({
  natsUrl: z.string().url().default("nats://127.0.0.1:4222"),
  grpcPort: z.coerce.number().int().min(0).max(65535).default(0),
  pipeline: z.string().min(1),
  warm: envBoolean().default(true),
  batches: z.array(z.number().int().positive()).default([1]),
});
const load = (env: Record<string, string>) =>
  loadConfig(schema, { service: "stage", env, envPrefix: "FULCRUM_STAGE_", aliases: { NATS_URL: "natsUrl" } });

describe("loadConfig", () => {
  it("maps camelCase keys to prefixed SCREAMING_SNAKE variables", () => {
    expect(toEnvName("grpcPort")).toBe("GRPC_PORT");
    expect(toEnvName("maxQueueSize")).toBe("MAX_QUEUE_SIZE");
  });

  it("applies defaults, env values, aliases and JSON for structured keys, then freezes", () => {
    const c = load({ FULCRUM_STAGE_PIPELINE: "video", FULCRUM_STAGE_GRPC_PORT: "5001", FULCRUM_STAGE_WARM: "false", FULCRUM_STAGE_BATCHES: "[1,4]", NATS_URL: "nats://h:1" });
    expect(c).toEqual({ natsUrl: "nats://h:1", grpcPort: 5001, pipeline: "video", warm: false, batches: [1, 4] });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.batches)).toBe(true);
  });

  it("reports every bad, unknown and missing key at once, naming the source", () => {
    let error: unknown;
    try {
      load({ FULCRUM_STAGE_GRPC_PORT: "http", FULCRUM_STAGE_WARM: "maybe", FULCRUM_STAGE_GRCP_PORT: "1" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => i.key).sort()).toEqual(["FULCRUM_STAGE_GRCP_PORT", "grpcPort", "pipeline", "warm"]);
    expect(issues.find((i) => i.key === "grpcPort")?.source).toBe("env FULCRUM_STAGE_GRPC_PORT");
    expect(issues.find((i) => i.key === "pipeline")?.source).toBe("default");
    expect((error as Error).message).toContain("invalid stage configuration (4 problems)");
    expect((error as Error).message).toContain("FULCRUM_STAGE_GRCP_PORT (env FULCRUM_STAGE_GRCP_PORT): unknown variable");
  });

  it("reads an optional YAML file that the environment overrides, rejecting unknown file keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-config-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "stage.yaml");
    writeFileSync(file, "pipeline: video\ngrpcPort: 7000\nbatches: [2, 8]\n");
    const c = load({ FULCRUM_STAGE_CONFIG: file, FULCRUM_STAGE_GRPC_PORT: "7001" });
    expect(c.pipeline).toBe("video");
    expect(c.grpcPort).toBe(7001);
    expect(c.batches).toEqual([2, 8]);

    writeFileSync(file, "pipeline: video\nbogus: 1\n");
    expect(() => load({ FULCRUM_STAGE_CONFIG: file })).toThrow(/bogus \(file .*stage\.yaml\): unknown key/);
    expect(() => load({ FULCRUM_STAGE_CONFIG: join(dir, "missing.yaml") })).toThrow(/cannot read .*missing\.yaml/);
  });
});
