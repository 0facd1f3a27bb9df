import { movingMaxForecaster } from "@fulcrum/core/forecast";
import { control, subjects } from "@fulcrum/proto";
import type { Bus, Stoppable } from "@fulcrum/runtime";

/** Options of {@link startReactiveForecast}. */
export interface ReactiveForecastOptions {
  readonly pipeline: string;
  /** Forecast period, ms. */
  readonly intervalMs: number;
  /** Seconds of load the moving maximum looks back. @default 10 */
  readonly windowS?: number;
  /** Upper bound = peak × (1 + headroom). @default 0.2 */
  readonly headroom?: number;
}

/**
 * Stand-in used by `fulcrum up` only while the predictor service is missing: a reactive forecast
 * (moving maximum of the last seconds' load, from `@fulcrum/core/forecast`, with headroom), so the
 * optimizer has a forecast to decide on. Published as model `reactive-fallback`, which is what the
 * predictor itself reports when it has too little history.
 */
export function startReactiveForecast(bus: Bus, o: ReactiveForecastOptions): Stoppable {
  const windowS = o.windowS ?? 10;
  const forecaster = movingMaxForecaster(windowS);
  const history: number[] = [];
  const sub = bus.subscribe(subjects.load(o.pipeline), control.LoadSample, (l) => {
    history.push(l.arrivalsRps);
    if (history.length > 600) history.splice(0, history.length - 600);
  });
  const timer = setInterval(() => {
    if (history.length < forecaster.minHistoryBins) return;
    const peak = forecaster.predict(history, 1);
    bus.publish(subjects.forecast(o.pipeline), control.Forecast, {
      pipeline: o.pipeline,
      createdUnixMs: Date.now(),
      horizonS: Math.max(1, Math.round(o.intervalMs / 1000)),
      peakRps: peak,
      upperRps: peak * (1 + (o.headroom ?? 0.2)),
      coverage: 0,
      model: "reactive-fallback",
      historySamples: history.length,
    });
  }, o.intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sub.stop();
    },
  };
}
