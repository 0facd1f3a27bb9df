import { control, subjects } from "@fulcrum/proto";
import { connectBus, createLogger, testNatsUrl, type Bus } from "@fulcrum/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { predictorConfigSchema, startPredictor, type PredictorServiceConfig } from "../src/index.js";

const logger = createLogger({ service: "predictor-test", level: "silent" });
let seq = 0;
const config = (over: Record<string, unknown> = {}): PredictorServiceConfig =>
  Object.freeze(predictorConfigSchema.parse({ pipeline: `pred${++seq}`, intervalMs: 3_600_000, ...over }));

describe("predictor over a real nats-server", () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await connectBus({ servers: testNatsUrl(), name: "predictor-test" });
  });
  afterAll(async () => {
    await bus?.drain();
  });

  async function feed(pipeline: string, startMs: number, rates: readonly number[]): Promise<void> {
    rates.forEach((rps, i) => bus.publish(subjects.load(pipeline), control.LoadSample, { pipeline, timestampUnixMs: startMs + i * 1000, arrivalsRps: rps, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 }));
    await bus.flush();
  }

  it("publishes the reactive fallback with little history, then the forecaster's forecast with an upper bound", async () => {
    const cfg = config({ serve: "holt" });
    const predictor = await startPredictor(cfg, { bus, logger });
    const forecasts: control.Forecast[] = [];
    const sub = bus.subscribe(subjects.forecast(cfg.pipeline), control.Forecast, (f) => void forecasts.push(f));
    await bus.flush();
    try {
      const t0 = Date.UTC(2026, 0, 1);
      await feed(cfg.pipeline, t0, Array.from({ length: 15 }, (_, i) => 20 + (i % 5)));
      await expect.poll(() => predictor.tick().then((f) => f !== undefined), { timeout: 5000 }).toBe(true);
      await expect.poll(() => forecasts.length).toBeGreaterThan(0);
      expect(forecasts[0]).toMatchObject({ pipeline: cfg.pipeline, model: "reactive-fallback", horizonS: 20 });
      expect(forecasts[0]!.peakRps).toBeGreaterThan(0);

      const more = Array.from({ length: 600 }, (_, i) => 30 + 10 * Math.sin((2 * Math.PI * i) / 300));
      await feed(cfg.pipeline, t0 + 15_000, more);
      await expect
        .poll(async () => {
          await predictor.tick();
          return forecasts.at(-1)?.historySamples;
        }, { timeout: 5000 })
        .toBe(615);
      expect(forecasts.at(-1)?.model).toBe("holt");
      const last = forecasts.at(-1)!;
      expect(last.upperRps).toBeGreaterThanOrEqual(last.peakRps);
      expect(last.peakRps).toBeGreaterThan(10);
      expect(last.peakRps).toBeLessThan(60);
      expect(last.coverage).toBeCloseTo(0.9, 6);
    } finally {
      await sub.stop();
      await predictor.shutdown();
    }
  });

  it("serves the committed LSTM through onnxruntime once it has a full window", async () => {
    const cfg = config({ serve: "lstm" });
    const predictor = await startPredictor(cfg, { bus, logger });
    try {
      expect(predictor.lstm).toBe("onnxruntime");
      await feed(cfg.pipeline, Date.UTC(2026, 0, 2), Array.from({ length: 300 }, (_, i) => 30 + 10 * Math.sin((2 * Math.PI * i) / 300)));
      await expect.poll(async () => predictor.tick().then((x) => x?.fallback), { timeout: 5000 }).toBe(false);
      expect(predictor.lastForecast?.model).toBe("lstm");
      expect(predictor.lastForecast?.pointRps).toBeGreaterThan(5);
      expect(predictor.lastForecast?.pointRps).toBeLessThan(100);
    } finally {
      await predictor.shutdown();
    }
  });

  it("drops invalid LoadSamples without crashing", async () => {
    const cfg = config({ lstmFile: "" });
    const predictor = await startPredictor(cfg, { bus, logger });
    try {
      bus.publish(subjects.load(cfg.pipeline), control.LoadSample, { pipeline: cfg.pipeline, timestampUnixMs: 0, arrivalsRps: -3, windowMs: 1000, budgetP10Ms: 0, budgetP50Ms: 0 });
      await feed(cfg.pipeline, Date.UTC(2026, 0, 1), Array.from({ length: 15 }, () => 5));
      await expect.poll(async () => (await predictor.tick())?.pointRps, { timeout: 5000 }).toBe(5);
      expect(predictor.lstm).toBe("absent");
    } finally {
      await predictor.shutdown();
    }
  });
});
