import { control, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorConfigSchema, startMonitor } from "../src/index.js";

const logger = createLogger({ service: "monitor-test", level: "silent" });

describe("monitor over real NATS", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "monitor-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  it("turns gateway windows into LoadSamples and serves per-pipeline series on /metrics", async () => {
    const pipeline = `mon-${process.pid}`;
    const monitor = await startMonitor(Object.freeze(monitorConfigSchema.parse({ metricsPort: 0, loadIntervalMs: 100 })), { bus, logger });
    const loads: control.LoadSample[] = [];
    const sub = bus.subscribe(subjects.load(pipeline), control.LoadSample, (l) => void loads.push(l));
    await bus.flush();
    try {
      const t0 = Date.now();
      for (let k = 0; k < 3; k++) {
        bus.publish(subjects.gatewayMetrics(pipeline), control.GatewayMetrics, {
          pipeline, windowStartUnixMs: t0 + k * 1000, windowMs: 1000, arrivals: 20 + 10 * k, answeredInTime: 18 + 10 * k, late: 1, rejected: 1, failed: 0,
          latencyP50Ms: 4, latencyP95Ms: 9, latencyP99Ms: 15, budgetP10Ms: 90, budgetP50Ms: 180, meanAccuracy: 0.85,
        });
        bus.publish(subjects.stageMetrics(pipeline, "classifier", `i${k}`), control.StageMetrics, {
          pipeline, stage: "classifier", instance: `i${k}`, windowStartUnixMs: t0, windowMs: 1000, arrivals: 10, completions: 10, queueLength: 1,
          latencyP50Ms: 2, latencyP95Ms: 3, latencyP99Ms: 4, violations: 0, earlyDrops: 0, rejected: 0, meanBatch: 2, variant: "mlp", cores: 1 + k,
          batchSize: 4, cpuSeconds: 0.2, assignmentVersion: 7, failures: 0,
        });
        await bus.flush();
        await expect.poll(() => loads.reduce((s, l) => s + (l.arrivalsRps * l.windowMs) / 1000, 0), { timeout: 5000, interval: 20 }).toBeCloseTo(
          Array.from({ length: k + 1 }, (_, j) => 20 + 10 * j).reduce((a, b) => a + b, 0),
          6,
        );
      }
      expect(loads.every((l) => l.pipeline === pipeline && l.budgetP10Ms === 90 && l.budgetP50Ms === 180)).toBe(true);
      expect(loads[0]).toMatchObject({ timestampUnixMs: t0, arrivalsRps: 20, windowMs: 1000 });

      const text = await (await fetch(`http://127.0.0.1:${monitor.metricsPort}/metrics`)).text();
      const line = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text)?.[1]);
      expect(line(`fulcrum_pipeline_arrivals_rps\\{pipeline="${pipeline}"\\}`)).toBe(40);
      expect(line(`fulcrum_pipeline_requests_total\\{pipeline="${pipeline}",fate="sent"\\}`)).toBe(90);
      expect(line(`fulcrum_pipeline_requests_total\\{pipeline="${pipeline}",fate="late"\\}`)).toBe(3);
      expect(line(`fulcrum_pipeline_attainment\\{pipeline="${pipeline}"\\}`)).toBeCloseTo(1 - 6 / 90, 9);
      expect(line(`fulcrum_pipeline_cores_allocated\\{pipeline="${pipeline}"\\}`)).toBe(6);
      expect(line(`fulcrum_stage_replicas\\{pipeline="${pipeline}",stage="classifier"\\}`)).toBe(3);
      expect(line(`fulcrum_pipeline_latency_ms\\{pipeline="${pipeline}",quantile="0.95"\\}`)).toBe(9);
      expect(text).toMatch(new RegExp(`fulcrum_instance_cores\\{pipeline="${pipeline}",stage="classifier",instance="i2",variant="mlp"\\} 3`));
    } finally {
      await sub.stop();
      await monitor.shutdown();
      await monitor.shutdown();
    }
    expect(monitor.state).toBe("stopped");
  });
});
