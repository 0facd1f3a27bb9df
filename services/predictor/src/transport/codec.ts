/** Where the predictor's protobuf messages meet its domain types. */
import { InvalidArgumentError } from "@fulcrum/core";
import type { Forecast } from "@fulcrum/core/forecast";
import type { control } from "@fulcrum/proto";

/** One per-second load observation. */
export interface LoadObservation {
  readonly atMs: number;
  readonly rps: number;
}

/** LoadSample → domain; throws `InvalidArgumentError` naming the field. */
export function toDomainLoadSample(pb: control.LoadSample): LoadObservation {
  if (!(pb.timestampUnixMs > 0)) throw new InvalidArgumentError("timestamp_unix_ms", `must be > 0, got ${pb.timestampUnixMs}`);
  if (!(Number.isFinite(pb.arrivalsRps) && pb.arrivalsRps >= 0)) throw new InvalidArgumentError("arrivals_rps", `must be a finite number ≥ 0, got ${pb.arrivalsRps}`);
  return { atMs: pb.timestampUnixMs, rps: pb.arrivalsRps };
}

/** Domain forecast → Forecast message. */
export function toPbForecast(f: Forecast, meta: { pipeline: string; createdMs: number; coverage: number; historySamples: number }): control.Forecast {
  return {
    pipeline: meta.pipeline,
    createdUnixMs: Math.round(meta.createdMs),
    horizonS: f.horizonS,
    peakRps: f.pointRps,
    upperRps: Math.max(f.upperRps, f.pointRps),
    coverage: meta.coverage,
    model: f.fallback ? "reactive-fallback" : f.model,
    historySamples: meta.historySamples,
  };
}
