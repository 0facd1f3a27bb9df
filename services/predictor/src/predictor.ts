import { existsSync, readFileSync } from "node:fs";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  compilePredictorConfig,
  initialPredictorState,
  parseLstmWeights,
  predictorStep,
  predictorWindow,
  rollingMape,
  type Forecast,
  type LstmWeights,
  type PredictorState,
} from "@fulcrum/core/forecast";
import { control, subjects } from "@fulcrum/proto";
import { startMetricsServer, toDomainLoadSample, toPbForecast, unixClockMs, type Bus, type Logger, type MetricsServerHandle, type Stoppable } from "@fulcrum/runtime";
import { Counter, Gauge, Registry } from "prom-client";
import type { PredictorServiceConfig } from "./config.js";
import { createLstmOnnxRunner, type LstmOnnxRunner } from "./model/index.js";
import { toLoadForecast } from "./transport/codec.js";

const tracer = trace.getTracer("@fulcrum/predictor");

/** Dependencies the composition root passes in. */
export interface PredictorDeps {
  readonly bus: Bus;
  readonly logger: Logger;
  /** Unix ms clock. @default `unixClockMs` */
  readonly clock?: () => number;
}

/** A running predictor. */
export interface PredictorHandle {
  readonly config: PredictorServiceConfig;
  readonly metricsPort: number;
  /** Whether the LSTM is among the forecasters, and where it runs. */
  readonly lstm: "onnxruntime" | "typescript" | "absent";
  /** The last forecast published. */
  readonly lastForecast: Forecast | undefined;
  /** Runs one interval now (tests and tools); resolves with the forecast published, if any. */
  tick(): Promise<Forecast | undefined>;
  /** Stops intake and ticks, releases the model; idempotent. The caller owns the bus. */
  shutdown(): Promise<void>;
}

function loadLstm(file: string, log: Logger): LstmWeights | undefined {
  if (!file) return undefined;
  if (!existsSync(file)) {
    log.warn({ lstmFile: file }, "LSTM weights not found: forecasting with the baselines only (train one with `fulcrum predictor train`)");
    return undefined;
  }
  return parseLstmWeights(JSON.parse(readFileSync(file, "utf8")));
}

/**
 * Starts the predictor: consumes `fulcrum.load.<p>` (one LoadSample per second), and every
 * `intervalMs` publishes a Forecast on `fulcrum.forecast.<p>`: the peak load of the next
 * `horizonS` from the forecaster with the lowest rolling error (the LSTM among them, run in
 * onnxruntime), with a conformal upper bound. With too little history it publishes the reactive
 * fallback (last bin's peak), labelled `reactive-fallback`.
 */
export async function startPredictor(config: PredictorServiceConfig, deps: PredictorDeps): Promise<PredictorHandle> {
  const { bus, logger: log } = deps;
  const clock = deps.clock ?? unixClockMs;
  const weights = loadLstm(config.lstmFile, log);
  const compiled = compilePredictorConfig({
    binS: config.binS,
    horizonS: config.horizonS,
    serve: config.serve,
    margin: { underPredictionRate: config.underPredictionRate },
    ...(weights ? { lstm: weights } : {}),
    ...(config.seasonS ? { seasonS: config.seasonS } : {}),
  });
  let runner: LstmOnnxRunner | undefined;
  const onnxFile = config.lstmFile.replace(/\.json$/, ".onnx");
  if (weights && config.lstmOnnx) {
    if (existsSync(onnxFile)) runner = await createLstmOnnxRunner(onnxFile, weights);
    else log.warn({ onnxFile }, "LSTM ONNX export not found: running the LSTM's TypeScript forward pass");
  }

  const registry = new Registry();
  registry.setDefaultLabels({ pipeline: config.pipeline });
  const samples = new Counter({ name: "fulcrum_predictor_samples_total", help: "LoadSamples consumed.", registers: [registry] });
  const rejected = new Counter({ name: "fulcrum_predictor_invalid_samples_total", help: "LoadSamples dropped as invalid.", registers: [registry] });
  const published = new Counter({ name: "fulcrum_predictor_forecasts_total", help: "Forecasts published, by model.", labelNames: ["model"], registers: [registry] });
  const forecastRps = new Gauge({ name: "fulcrum_predictor_forecast_rps", help: "Last forecast, point and upper bound.", labelNames: ["kind"], registers: [registry] });
  const mape = new Gauge({ name: "fulcrum_predictor_rolling_mape", help: "Rolling MAPE of each forecaster over resolved intervals.", labelNames: ["forecaster"], registers: [registry] });
  const metricsServer: MetricsServerHandle = await startMetricsServer({ port: config.metricsPort, host: config.metricsHost, registry });

  let state: PredictorState = initialPredictorState();
  let received = 0;
  let last: Forecast | undefined;
  const sub: Stoppable = bus.subscribe(subjects.load(config.pipeline), control.LoadSample, (pb) => {
    let sample;
    try {
      sample = toDomainLoadSample(pb);
    } catch (err) {
      rejected.inc();
      log.warn({ err }, "dropped invalid LoadSample");
      return;
    }
    samples.inc();
    received++;
    state = predictorStep(state, { kind: "sample", atMs: sample.timestampMs, rps: sample.arrivalsRps }, compiled, clock()).state;
  });

  const tick = async (): Promise<Forecast | undefined> =>
    tracer.startActiveSpan("predictor.forecast", async (span) => {
      try {
        let external: Record<string, number> | undefined;
        const window = weights && runner ? predictorWindow(state, weights.windowBins) : undefined;
        if (window && runner) external = { lstm: (await runner.predict([window]))[0]! };
        const out = predictorStep(state, { kind: "tick", ...(external ? { externalPointsRps: external } : {}) }, compiled, clock());
        state = out.state;
        const f = out.forecast;
        if (!f) {
          span.setAttribute("fulcrum.forecast", "none: no closed bin yet");
          return undefined;
        }
        const pb = toPbForecast(toLoadForecast(f, { pipeline: config.pipeline, createdMs: clock(), coverage: 1 - config.underPredictionRate, historySamples: received }));
        bus.publish(subjects.forecast(config.pipeline), control.Forecast, pb);
        last = f;
        published.inc({ model: pb.model });
        forecastRps.set({ kind: "point" }, f.pointRps);
        forecastRps.set({ kind: "upper" }, pb.upperRps);
        for (const name of Object.keys(state.errors)) {
          const m = rollingMape(state.errors[name]);
          if (m !== undefined) mape.set({ forecaster: name }, m);
        }
        span.setAttributes({ "fulcrum.pipeline": config.pipeline, "fulcrum.model": pb.model, "fulcrum.point_rps": f.pointRps, "fulcrum.upper_rps": pb.upperRps, "fulcrum.horizon_s": f.horizonS });
        return f;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        log.error({ err }, "forecast failed; the optimizer keeps the last assignment");
        return undefined;
      } finally {
        span.end();
      }
    });
  const timer = setInterval(() => void tick(), config.intervalMs);
  log.info({ pipeline: config.pipeline, lstm: weights ? (runner ? "onnxruntime" : "typescript") : "absent", intervalMs: config.intervalMs, metricsPort: metricsServer.port }, "predictor ready");

  let stopped: Promise<void> | undefined;
  return {
    config,
    metricsPort: metricsServer.port,
    lstm: weights ? (runner ? "onnxruntime" : "typescript") : "absent",
    get lastForecast() {
      return last;
    },
    tick,
    shutdown() {
      stopped ??= (async () => {
        clearInterval(timer);
        await sub.stop();
        await runner?.dispose();
        await metricsServer.close();
      })();
      return stopped;
    },
  };
}
