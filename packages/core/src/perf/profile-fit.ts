import { buildBatchTables, type BatchTable } from "./batch-table.js";
import { capacityAtSlo, fitCapacityLine, type CapacityLineFit, type CapacityPoint } from "./capacity.js";
import { ProfileError } from "./errors.js";
import { fitSpongeLatency, type SpongeFit, type SpongeFitOptions } from "./fit.js";
import { createPerfModel, type MeasuredLatency, type PerfModel, type VariantPerf } from "./perf-model.js";
import { statisticField, type LatencyStatistic, type Profile, type ProfileVariant } from "./profile-schema.js";

/**
 * The (batch, cores, latency) points of one variant for one statistic.
 * @throws ProfileError naming the point field that lacks the statistic
 */
export function variantPoints(profile: Profile, variant: string, statistic: LatencyStatistic = profile.defaultStatistic): MeasuredLatency[] {
  const i = profile.variants.findIndex((v) => v.name === variant);
  if (i < 0) throw new ProfileError([{ field: "variants", message: `no variant "${variant}" (has ${profile.variants.map((v) => v.name).join(", ")})` }]);
  return pointsOf(profile.variants[i]!, i, statistic);
}

function pointsOf(v: ProfileVariant, index: number, statistic: LatencyStatistic): MeasuredLatency[] {
  const field = statisticField(statistic);
  return v.points.map((p, j) => {
    const latencyMs = p[field];
    if (latencyMs === undefined) throw new ProfileError([{ field: `variants[${index}].points[${j}].${field}`, message: `missing; variant "${v.name}" cannot be read at statistic "${statistic}"` }]);
    return { batch: p.batch, cores: p.cores, latencyMs };
  });
}

/** Capacity of a variant at an SLO: per measured core count, and InfAdapter's line through them. */
export interface VariantCapacity {
  readonly sloMs: number;
  readonly perCores: readonly CapacityPoint[];
  /** `undefined` with fewer than 2 core counts. */
  readonly line: CapacityLineFit | undefined;
}

/** The three models of one variant at one latency statistic. */
export interface VariantFit {
  readonly variant: string;
  readonly statistic: LatencyStatistic;
  /** Sponge's `l(b,c)` by NNLS; `undefined` (see `spongeSkipped`) with < 4 points or degenerate ones. */
  readonly sponge: SpongeFit | undefined;
  readonly spongeSkipped: string | undefined;
  /** IPA's measured per-batch tables, one per core count. */
  readonly tables: readonly BatchTable[];
  /** InfAdapter's capacity at `sloMs`, when an SLO was given. */
  readonly capacity: VariantCapacity | undefined;
}

/** Options of {@link fitProfile}. */
export interface FitProfileOptions {
  /** Statistics to fit. @default [profile.defaultStatistic] */
  readonly statistics?: readonly LatencyStatistic[];
  /** SLO for the capacity model, ms. No capacity model without it. */
  readonly sloMs?: number;
  /** Residual weighting of the Sponge fit. @default "absolute" (Sponge's) */
  readonly weighting?: SpongeFitOptions["weighting"];
}

/**
 * Fits every measured variant of a profile at each requested statistic: Sponge's model, IPA's
 * tables and (with an SLO) InfAdapter's capacity. Variants that carry only a capacity model
 * (paper sets) have no points and are skipped.
 * @throws ProfileError when a point lacks a requested statistic
 */
export function fitProfile(profile: Profile, options: FitProfileOptions = {}): VariantFit[] {
  const statistics = options.statistics ?? [profile.defaultStatistic];
  const out: VariantFit[] = [];
  profile.variants.forEach((v, i) => {
    if (v.points.length === 0) return;
    for (const statistic of statistics) {
      const pts = pointsOf(v, i, statistic);
      let sponge: SpongeFit | undefined;
      let spongeSkipped: string | undefined;
      try {
        sponge = fitSpongeLatency(pts, { weighting: options.weighting ?? "absolute" });
      } catch (err) {
        spongeSkipped = (err as Error).message;
      }
      let capacity: VariantCapacity | undefined;
      if (options.sloMs !== undefined) {
        const perCores = capacityAtSlo(pts, options.sloMs);
        const usable = perCores.filter((c) => c.capacityRps > 0);
        const line = new Set(usable.map((c) => c.cores)).size >= 2 ? fitCapacityLine(usable) : undefined;
        capacity = { sloMs: options.sloMs, perCores, line };
      }
      out.push({ variant: v.name, statistic, sponge, spongeSkipped, tables: buildBatchTables(pts), capacity });
    }
  });
  return out;
}

/** Options of {@link perfModelFromProfile}. */
export interface ProfilePerfOptions {
  /** Statistic the policies plan with. @default the profile's `defaultStatistic` */
  readonly statistic?: LatencyStatistic;
  /**
   * Also fit Sponge's model so that points the profile lacks can be answered (flagged as modeled).
   * Off: table lookups only, IPA's measured path. @default true
   */
  readonly fit?: boolean;
  /** Only these variants. @default all */
  readonly variants?: readonly string[];
  /**
   * Which Sponge coefficients answer unmeasured points when a variant carries a `reportedFit`
   * (a paper's own fit, possibly on more points than it publishes): `reported` uses it (what the
   * paper's system planned with), `refit` fits the published points here. @default "reported"
   */
  readonly fitSource?: "reported" | "refit";
  /** Residual weighting of a refit. @default "absolute" (Sponge's) */
  readonly weighting?: SpongeFitOptions["weighting"];
}

/**
 * The {@link PerfModel} the policies consume, from a profile: measured points are answered
 * exactly, anything else from the Sponge fit of the same statistic (`source: "model"`,
 * `outsideMeasuredRange` when the batch or cores lie outside the measured ones); variants that
 * carry only a capacity line (InfAdapter's paper set) are answered from it.
 * @throws ProfileError for an unknown variant or a point lacking the statistic
 */
export function perfModelFromProfile(profile: Profile, options: ProfilePerfOptions = {}): PerfModel {
  const statistic = options.statistic ?? profile.defaultStatistic;
  const wanted = options.variants ?? profile.variants.map((v) => v.name);
  const perVariant: Record<string, VariantPerf> = {};
  for (const name of wanted) {
    const i = profile.variants.findIndex((v) => v.name === name);
    if (i < 0) throw new ProfileError([{ field: "variants", message: `no variant "${name}" (has ${profile.variants.map((v) => v.name).join(", ")})` }]);
    const v = profile.variants[i]!;
    const measured = pointsOf(v, i, statistic);
    let fit: VariantPerf["fit"];
    const reported = v.reportedFit;
    if ((options.fit ?? true) && reported && (options.fitSource ?? "reported") === "reported") {
      fit = { gammaMs: reported.gammaMs, deltaMs: reported.deltaMs, epsilonMs: reported.epsilonMs, etaMs: reported.etaMs };
    } else if ((options.fit ?? true) && measured.length >= 4) {
      try {
        fit = fitSpongeLatency(measured, { weighting: options.weighting ?? "absolute" }).coefficients;
      } catch {
        // Degenerate points (e.g. a single core count and batch): the table alone answers.
        fit = undefined;
      }
    }
    perVariant[name] = {
      measured,
      ...(fit ? { fit } : {}),
      ...(v.capacity ? { capacity: v.capacity } : {}),
    };
  }
  return createPerfModel(perVariant);
}
