/**
 * The one place the optimizer's protobuf messages meet domain types. Validates on the way in:
 * every `toDomain*` throws `InvalidArgumentError` naming the bad field.
 */
import { InvalidArgumentError } from "@fulcrum/core";
import type { control } from "@fulcrum/proto";
import type { AckInput, ForecastInput, LoadInput } from "../core/types.js";

const finiteAtLeast0 = (field: string, x: number): number => {
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError(field, `must be a finite number ≥ 0, got ${x}`);
  return x;
};

/** Forecast → domain. `upper_rps` 0 means "no upper bound"; a non-zero one below the peak is rejected. */
export function toDomainForecast(pb: control.Forecast): ForecastInput {
  if (!pb.pipeline) throw new InvalidArgumentError("pipeline", "is empty");
  if (!(pb.createdUnixMs > 0)) throw new InvalidArgumentError("created_unix_ms", `must be > 0, got ${pb.createdUnixMs}`);
  const peakRps = finiteAtLeast0("peak_rps", pb.peakRps);
  const upper = finiteAtLeast0("upper_rps", pb.upperRps);
  if (upper > 0 && upper < peakRps) throw new InvalidArgumentError("upper_rps", `${upper} is below peak_rps ${peakRps}`);
  if (!(pb.coverage >= 0 && pb.coverage <= 1)) throw new InvalidArgumentError("coverage", `must be in [0, 1], got ${pb.coverage}`);
  return {
    pipeline: pb.pipeline,
    createdAtMs: pb.createdUnixMs,
    horizonS: pb.horizonS,
    peakRps,
    ...(upper > 0 ? { upperRps: upper } : {}),
    ...(pb.coverage > 0 ? { coverage: pb.coverage } : {}),
    model: pb.model,
  };
}

/** Domain → Forecast (tests and tools that play the predictor). */
export function toPbForecast(f: ForecastInput, historySamples = 0): control.Forecast {
  return {
    pipeline: f.pipeline, createdUnixMs: f.createdAtMs, horizonS: f.horizonS, peakRps: f.peakRps,
    upperRps: f.upperRps ?? 0, coverage: f.coverage ?? 0, model: f.model, historySamples,
  };
}

/** LoadSample → domain. Budget quantiles of 0 mean "unknown". */
export function toDomainLoadSample(pb: control.LoadSample): LoadInput {
  if (!pb.pipeline) throw new InvalidArgumentError("pipeline", "is empty");
  const p10 = finiteAtLeast0("budget_p10_ms", pb.budgetP10Ms);
  const p50 = finiteAtLeast0("budget_p50_ms", pb.budgetP50Ms);
  return {
    pipeline: pb.pipeline,
    timestampMs: pb.timestampUnixMs,
    arrivalsRps: finiteAtLeast0("arrivals_rps", pb.arrivalsRps),
    windowMs: pb.windowMs,
    ...(p10 > 0 ? { budgetP10Ms: p10 } : {}),
    ...(p50 > 0 ? { budgetP50Ms: p50 } : {}),
  };
}

/** AssignmentAck → domain. */
export function toDomainAck(pb: control.AssignmentAck): AckInput {
  if (!pb.pipeline) throw new InvalidArgumentError("pipeline", "is empty");
  if (!pb.stage) throw new InvalidArgumentError("stage", "is empty");
  if (!pb.instance) throw new InvalidArgumentError("instance", "is empty");
  if (!(pb.version >= 1)) throw new InvalidArgumentError("version", `must be ≥ 1, got ${pb.version}`);
  return {
    pipeline: pb.pipeline, stage: pb.stage, instance: pb.instance, version: pb.version, applied: pb.applied,
    applyMs: finiteAtLeast0("apply_ms", pb.applyMs), appliedAtMs: pb.appliedUnixMs,
    ...(!pb.applied && pb.error ? { error: pb.error } : {}),
  };
}
