import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectBus, createLogger, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { gatewayConfigSchema, startGateway } from "@fulcrum/gateway";
import { stageConfigSchema, startStage } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SentRequestRecord } from "@fulcrum/core/accounting";
import { loadgenConfigSchema, startLoadgen } from "../src/index.js";

const logger = createLogger({ service: "loadgen-test", level: "silent" });

describe("loadgen against a real gateway and stage", () => {
  let bus: Bus;
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-loadgen-"));
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "loadgen-test" });
  });
  afterAll(async () => {
    await bus?.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  it("replays a trace, accounts for every request, and reports rejections with their reason", async () => {
    const pipeline = `lg-${process.pid}`;
    const gateway = await startGateway(
      Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 1000, stages: [{ name: "classifier" }] }, { name: `${pipeline}-empty`, sloMs: 1000, stages: [{ name: "nobody" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0 })),
      { logger, bus },
    );
    const stage = await startStage(
      Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", instance: "s0", family: "fashion", variant: "linear", modelDir: resolveModelDir(process.env, process.cwd()), heartbeatMs: 200 })),
      { logger, bus },
    );
    try {
      await expect.poll(() => gateway.router.replicasOf(pipeline, "classifier").length, { timeout: 10_000 }).toBe(1);
      const reportFile = join(dir, "report.json");
      const recordsFile = join(dir, "records.jsonl");
      const run = startLoadgen(
        Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline, steps: [{ rps: 40, durationS: 1 }, { rps: 80, durationS: 1 }], sloMinMs: 500, sloMaxMs: 1500, seed: 4, reportFile, recordsFile })),
        { logger },
      );
      const report = await run.done;
      const s = report.summary;
      expect(report.planned).toBeGreaterThan(80);
      expect(s.sent).toBe(report.planned);
      expect(s.unaccounted).toBe(0);
      expect(s.sent).toBe(s.inTime + s.late + s.rejectedWithReason);
      expect(s.inTime).toBeGreaterThan(0.8 * s.sent);
      expect(s.variants).toEqual({ "classifier=linear": s.inTime + s.late });
      expect(JSON.parse(readFileSync(reportFile, "utf8")).summary).toEqual(s);
      const lines = readFileSync(recordsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as SentRequestRecord);
      expect(lines).toHaveLength(s.sent);
      expect(lines.every((r) => r.sloMs >= 500 && r.sloMs <= 1500)).toBe(true);
      // The gateway saw exactly what the loadgen sent.
      expect(gateway.totals(pipeline)?.arrivals).toBe(s.sent);

      const empty = await startLoadgen(Object.freeze(loadgenConfigSchema.parse({ target: gateway.grpcAddress, pipeline: `${pipeline}-empty`, rateRps: 30, durationS: 1, seed: 2 })), { logger }).done;
      expect(empty.summary.sent).toBeGreaterThan(10);
      expect(empty.summary).toMatchObject({ inTime: 0, late: 0, unaccounted: 0, byCode: { UNAVAILABLE: empty.summary.sent } });
    } finally {
      await gateway.shutdown();
      await stage.shutdown();
    }
  });
});
