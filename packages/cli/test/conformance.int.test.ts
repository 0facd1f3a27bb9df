import { connectBus, createLogger, testNatsUrl } from "@fulcrum/runtime";
import { stageConfigSchema, startStage } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { describe, expect, it } from "vitest";
import { CLAUSES, formatResult, runConformance } from "../src/conformance/index.js";
import { provisionRegistryBucket } from "./registry-bucket.js";

const logger = createLogger({ service: "conformance-test", level: "silent" });

describe("fulcrum conformance against Fulcrum's own stage", () => {
  it("passes every clause of stage contract v1, drain included (which stops the stage)", async () => {
    const natsUrl = testNatsUrl();
    await provisionRegistryBucket(natsUrl);
    const bus = await connectBus({ servers: natsUrl, name: "conformance-test-stage" });
    // Contract cadences: StageMetrics every 1 s, heartbeat every 2 s (the stage's defaults).
    const config = Object.freeze(
      stageConfigSchema.parse({ pipeline: "conf-fulcrum", stage: "classifier", instance: "r0", family: "fashion", variant: "linear", modelDir: resolveModelDir(process.env, process.cwd()), shutdownGraceMs: 2000 }),
    );
    const stage = await startStage(config, { logger, bus });
    try {
      const report = await runConformance({ pipeline: "conf-fulcrum", stage: "classifier", instance: "r0", natsUrl, timeoutMs: 10_000, drain: true });
      const lines = report.results.map((r) => formatResult(r));
      expect(report.results.map((r) => r.id)).toEqual(CLAUSES.map((c) => c.id));
      expect(report.results.filter((r) => r.status !== "pass").map((r) => formatResult(r)), lines.join("\n")).toEqual([]);
      expect(report.passed).toBe(true);
      // The drain request shut the stage down (the composition root would now exit).
      await expect.poll(() => stage.state, { timeout: 10_000 }).toBe("stopped");
    } finally {
      await stage.shutdown();
      await bus.drain();
    }
  }, 120_000);
});
