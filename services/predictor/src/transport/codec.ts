/**
 * Where the predictor's domain meets the control plane: a forecaster's output becomes the
 * LoadForecast the predictor publishes (LoadSamples are decoded by the shared control codec).
 */
import type { LoadForecast } from "@fulcrum/core/control";
import type { Forecast } from "@fulcrum/core/forecast";

/** A forecaster's output → the LoadForecast message's domain form. The upper bound is never below the point. */
export function toLoadForecast(f: Forecast, meta: { pipeline: string; createdMs: number; coverage: number; historySamples: number }): LoadForecast {
  return {
    pipeline: meta.pipeline,
    createdAtMs: meta.createdMs,
    horizonS: f.horizonS,
    peakRps: f.pointRps,
    upperRps: Math.max(f.upperRps, f.pointRps),
    coverage: meta.coverage,
    model: f.fallback ? "reactive-fallback" : f.model,
    historySamples: meta.historySamples,
  };
}
