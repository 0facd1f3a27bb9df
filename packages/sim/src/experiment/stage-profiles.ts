import {
  createPerfModel, INFADAPTER_RESNET_PROFILE, INFADAPTER_RESNETS, IPA_VIDEO_PIPELINE, parseProfileJson, perfModelFromProfile, PerfModelError,
  SPONGE_YOLOV5_REPORTED_FIT, type PerfModel, type Profile,
} from "@fulcrum/core/perf";
import type { PolicyVariant } from "@fulcrum/core/policies";
import { quantile } from "@fulcrum/core/stats";
import { ExperimentConfigError } from "../errors.js";
import { capacityServicePerf, parseCapacityCsv } from "../profiles/infadapter-capacity.js";
import { scaledPerfModel } from "../profiles/perf-models.js";
import { parseLatencyGridCsv } from "../profiles/sponge-grid.js";
import type { StageProfileSpec } from "./schema.js";

/** Files an experiment reads, by the path its YAML names (relative to the repository root). */
export type FileContents = ReadonlyMap<string, string>;

/** One stage's variants and models, as a profile source defines them. */
export interface StageModels {
  readonly variants: readonly PolicyVariant[];
  /** What the policies plan with. */
  readonly planning: PerfModel;
  /** Ground-truth median batch latency. */
  readonly median: PerfModel;
  /** Ground-truth p99 batch latency, when the source measured a spread. */
  readonly p99?: PerfModel;
}

/** `name@alias` names the variant `name` of a profile under a pipeline-unique alias (E4's ten stages). */
export function baseVariant(name: string): string {
  const at = name.indexOf("@");
  return at < 0 ? name : name.slice(0, at);
}

function read(files: FileContents, file: string, key: string): string {
  const text = files.get(file);
  if (text === undefined) throw new ExperimentConfigError(key, [{ key: "file", message: `${file} was not loaded` }]);
  return text;
}

/** Answers lookups of `alias@x` names with the base model's `x`. */
function aliased(model: PerfModel, names: readonly string[]): PerfModel {
  if (names.every((n) => baseVariant(n) === n)) return model;
  return {
    variants: () => [...names],
    latency: (v, b, c) => {
      if (!names.includes(v)) throw new PerfModelError(`unknown variant "${v}"`, { variant: v });
      return model.latency(baseVariant(v), b, c);
    },
  };
}

/**
 * The median latency ratio of each variant to `base` over the (batch, cores) points both have in a
 * measured profile, at p50: how much slower a variant of the same family is.
 */
export function latencyRatios(profile: Profile, base: string, variants: readonly string[]): Record<string, number> {
  const at = (name: string): Map<string, number> => {
    const v = profile.variants.find((x) => x.name === name);
    if (!v) throw new PerfModelError(`profile "${profile.family}" has no variant "${name}"`, { variant: name });
    return new Map(v.points.filter((p) => p.p50Ms !== undefined).map((p) => [`${p.batch}x${p.cores}`, p.p50Ms!]));
  };
  const b = at(base);
  const out: Record<string, number> = {};
  for (const name of variants) {
    if (name === base) continue;
    const m = at(name);
    const ratios = [...m.entries()].flatMap(([k, l]) => (b.has(k) ? [l / b.get(k)!] : []));
    if (ratios.length === 0) throw new PerfModelError(`variants "${name}" and "${base}" share no measured point`, { variant: name });
    out[name] = quantile(ratios, 0.5);
  }
  return out;
}

/**
 * Builds one stage's models from its profile source (see the experiment schema's `profiles`):
 * - `measured`: the variants' own measured surfaces, accuracies and load times;
 * - `sponge-grid`: Sponge's measured YOLOv5 grid for one variant (its reported fit between
 *   points), the stage's other variants as that surface × their latency ratio in a measured
 *   profile; mAPs as IPA published them, load times measured here when `scaleFrom` is given;
 * - `infadapter-capacity`: InfAdapter's capacity CSV as service times, planned with InfAdapter's
 *   capacity lines or the service times; its published accuracies and load times.
 * @throws ExperimentConfigError / PerfModelError / ProfileError naming what is missing
 */
export function stageModels(spec: StageProfileSpec, variantNames: readonly string[], files: FileContents, key: string): StageModels {
  const bases = variantNames.map(baseVariant);
  if (spec.source === "measured") {
    const profile = parseProfileJson(read(files, spec.file, key), { variants: [...new Set(bases)] }, spec.file);
    const uniq = [...new Set(bases)];
    const variants = variantNames.map((n) => {
      const v = profile.variants.find((x) => x.name === baseVariant(n))!;
      if (v.accuracy === undefined) throw new ExperimentConfigError(key, [{ key: "file", message: `${spec.file}: variant "${v.name}" has no accuracy` }]);
      return { name: n, accuracy: v.accuracy, ...(v.loadTimeMs !== undefined ? { loadTimeMs: v.loadTimeMs } : {}) };
    });
    const at = (statistic: "p50" | "p95" | "p99" | "mean"): PerfModel => aliased(perfModelFromProfile(profile, { statistic, variants: uniq }), variantNames);
    return { variants, planning: at(spec.planningStatistic), median: at("p50"), p99: at("p99") };
  }
  if (spec.source === "sponge-grid") {
    const grid = parseLatencyGridCsv(read(files, spec.file, key), spec.file);
    const base = createPerfModel({ [spec.variant]: { measured: grid, fit: SPONGE_YOLOV5_REPORTED_FIT.coefficients } });
    const others = [...new Set(bases)].filter((v) => v !== spec.variant);
    let model = base;
    let loadTimes: Record<string, number> = {};
    if (spec.scaleFrom) {
      const profile = parseProfileJson(read(files, spec.scaleFrom, key), { variants: [spec.variant, ...others] }, spec.scaleFrom);
      model = scaledPerfModel(base, spec.variant, latencyRatios(profile, spec.variant, others));
      loadTimes = Object.fromEntries(profile.variants.flatMap((v) => (v.loadTimeMs !== undefined ? [[v.name, v.loadTimeMs]] : [])));
    } else if (others.length > 0) {
      throw new ExperimentConfigError(key, [{ key: "scaleFrom", message: `the grid measures only "${spec.variant}"; give a measured profile to scale ${others.join(", ")} from` }]);
    }
    const maps = IPA_VIDEO_PIPELINE.stages.flatMap((s) => s.variants);
    const variants = variantNames.map((n) => {
      const published = maps.find((v) => v.name === baseVariant(n));
      if (!published) throw new ExperimentConfigError(key, [{ key: "variants", message: `no published accuracy for "${baseVariant(n)}" (IPA lists ${maps.map((v) => v.name).join(", ")})` }]);
      const load = loadTimes[baseVariant(n)];
      return { name: n, accuracy: published.accuracy, ...(load !== undefined ? { loadTimeMs: load } : {}) };
    });
    const m = aliased(model, variantNames);
    return { variants, planning: m, median: m };
  }
  const service = aliased(capacityServicePerf(parseCapacityCsv(read(files, spec.file, key), spec.file)), variantNames);
  const variants = variantNames.map((n) => {
    const v = INFADAPTER_RESNETS.variants.find((x) => x.name === baseVariant(n));
    if (!v) throw new ExperimentConfigError(key, [{ key: "variants", message: `InfAdapter publishes no "${baseVariant(n)}" (has ${INFADAPTER_RESNETS.variants.map((x) => x.name).join(", ")})` }]);
    return { name: n, accuracy: v.accuracy, loadTimeMs: v.loadTimeMs };
  });
  const planning = spec.planning === "capacity-lines" ? aliased(perfModelFromProfile(INFADAPTER_RESNET_PROFILE, { variants: [...new Set(bases)] }), variantNames) : service;
  return { variants, planning, median: service };
}
