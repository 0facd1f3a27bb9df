import {
  formatProfile,
  parseProfileJson,
  PROFILE_SCHEMA_VERSION,
  type MeasurementSettings,
  type Profile,
  type ProfilePoint,
  type ProfileVariant,
} from "@fulcrum/core/perf";
import { InferencePool } from "@fulcrum/inference";
import { assertVariant, ensureGeneratedModel, getFamily, resolveVariant, type ModelManifest } from "@fulcrum/zoo";
import { ProfileOptionError } from "./errors.js";
import { batchInputs } from "./inputs.js";
import { loadAverage, machineInfo } from "./machine.js";
import { measurePoints } from "./measure-point.js";

/** Default grid of `fulcrum profile`. */
export const DEFAULT_PROFILE_BATCHES: readonly number[] = [1, 2, 4, 8, 16];
export const DEFAULT_PROFILE_CORES: readonly number[] = [1, 2];
/** Default time cap per point, s. */
export const DEFAULT_MAX_SECONDS_PER_POINT = 6;

/** Options of {@link profileFamily}. */
export interface ProfileFamilyOptions {
  /** Zoo family (`resnet`, `yolo`, `fashion`). */
  readonly family: string;
  /** @default every variant of the family */
  readonly variants?: readonly string[];
  /** @default [1, 2, 4, 8, 16] */
  readonly batches?: readonly number[];
  /** Cores (= onnxruntime intra-op threads) per replica. @default [1, 2] */
  readonly cores?: readonly number[];
  /** Pixels per side. @default the family's default resolution */
  readonly resolution?: number;
  /** Cache of generated models; missing generated variants are built into it. */
  readonly modelDir: string;
  /**
   * Time cap per point, s. With the default grid (5 batches × 2 cores) a family of 5 variants
   * takes at most 50 caps plus session loads and warm-ups: under 10 minutes at the default.
   * @default 6
   */
  readonly maxSecondsPerPoint?: number;
  /**
   * Timing per point before a stable median may end it, s: sub-millisecond points then collect
   * hundreds of samples, so their p95/p99 are quantiles rather than the maximum of 20.
   * @default 1
   */
  readonly minSecondsPerPoint?: number;
  /** Samples before the median may be called stable (and the p99 means something). @default 20 */
  readonly minSamples?: number;
  /** @default 1000 */
  readonly maxSamples?: number;
  /** Stable when the median moved ≤ this fraction over the last `stableWindow` samples. @default 0.02 */
  readonly stableRelTol?: number;
  /** @default 10 */
  readonly stableWindow?: number;
  /** Warm-up runs per batch size when a session is loaded. @default 2 */
  readonly warmupRunsPerSize?: number;
  /** Called when a session starts, after each point and after the last. */
  readonly onProgress?: (p: ProfileProgress) => void;
  /** Wall clock for `createdAt`. @default () => new Date() */
  readonly now?: () => Date;
}

/** Progress of a profiling run. */
export interface ProfileProgress {
  /** Points finished. */
  readonly done: number;
  readonly total: number;
  /** The session being measured (its batch sizes take turns); `undefined` once all are done. */
  readonly current: { readonly variant: string; readonly cores: number } | undefined;
}

function checkGrid(name: string, xs: readonly number[]): void {
  if (xs.length === 0) throw new ProfileOptionError(name, "needs at least one value");
  for (const x of xs) if (!Number.isInteger(x) || x < 1) throw new ProfileOptionError(name, `values must be integers ≥ 1, got ${x}`);
  if (new Set(xs).size !== xs.length) throw new ProfileOptionError(name, `has duplicates: ${xs.join(",")}`);
}

function resolveModel(family: string, variant: string, resolution: number | undefined, modelDir: string): { path: string; manifest: ModelManifest } {
  const info = assertVariant(family, variant);
  if (info.kind === "trained") return resolveVariant({ family, variant, modelDir, ...(resolution === undefined ? {} : { resolution }) });
  return ensureGeneratedModel({ family, variant, modelDir, ...(resolution === undefined ? {} : { resolution }) });
}

/**
 * Measures the latency distribution of each variant over (batch, cores) through the stage's
 * {@link InferencePool} (worker thread, tensor transfer, one batch in flight: the serving path),
 * after the pool's warm-up at every batch size, and returns the profile document.
 */
export async function profileFamily(options: ProfileFamilyOptions): Promise<Profile> {
  const info = getFamily(options.family);
  const variants = options.variants ?? info.variants;
  for (const v of variants) assertVariant(info.name, v);
  const batches = [...(options.batches ?? DEFAULT_PROFILE_BATCHES)].sort((a, b) => a - b);
  const cores = [...(options.cores ?? DEFAULT_PROFILE_CORES)].sort((a, b) => a - b);
  checkGrid("batches", batches);
  checkGrid("cores", cores);
  const settings: MeasurementSettings = {
    warmupRunsPerSize: options.warmupRunsPerSize ?? 2,
    minSamples: options.minSamples ?? 20,
    maxSamples: options.maxSamples ?? 1000,
    maxSecondsPerPoint: options.maxSecondsPerPoint ?? DEFAULT_MAX_SECONDS_PER_POINT,
    minSecondsPerPoint: Math.min(options.minSecondsPerPoint ?? 1, options.maxSecondsPerPoint ?? DEFAULT_MAX_SECONDS_PER_POINT),
    stableRelTol: options.stableRelTol ?? 0.02,
    stableWindow: options.stableWindow ?? 10,
    timing: "totalMs",
  };
  if (!(settings.maxSecondsPerPoint > 0)) throw new ProfileOptionError("maxSecondsPerPoint", `must be > 0, got ${settings.maxSecondsPerPoint}`);
  const budget = { minSamples: settings.minSamples, maxSamples: settings.maxSamples, maxSeconds: settings.maxSecondsPerPoint, minSeconds: settings.minSecondsPerPoint, relTol: settings.stableRelTol, window: settings.stableWindow };
  const total = variants.length * cores.length * batches.length;
  let done = 0;
  const loadStart = loadAverage();
  const createdAt = (options.now ?? (() => new Date()))().toISOString();
  // One session at a time: a cached idle session costs memory, and a second loaded model would
  // only compete for the cores being measured.
  const pool = new InferencePool({ maxCachedSessions: 1, spareWorkers: 0, warmupBatchSizes: batches, warmupRunsPerSize: settings.warmupRunsPerSize });
  const out: ProfileVariant[] = [];
  let resolution: number | undefined;
  try {
    for (const variant of variants) {
      const model = resolveModel(info.name, variant, options.resolution, options.modelDir);
      resolution = model.manifest.resolution;
      const points: ProfilePoint[] = [];
      const loadAverage1m = loadAverage()[0];
      let loadTimeMs: number | undefined;
      for (const c of cores) {
        const current = { variant, cores: c };
        options.onProgress?.({ done, total, current });
        const session = await pool.prepare({ modelPath: model.path, cores: c });
        loadTimeMs ??= Math.round(session.loadMs * 10) / 10;
        const inputs = batches.map((b) => ({ batch: b, inputs: batchInputs(model.manifest.inputs, b) }));
        const measured = await measurePoints(pool, session.key, inputs, budget, () => {
          done++;
          options.onProgress?.({ done, total, current });
        });
        points.push(...measured.map((m) => ({ ...m, cores: c })));
      }
      out.push({
        name: variant,
        accuracy: model.manifest.accuracy,
        accuracySource: model.manifest.accuracySource,
        ...(loadTimeMs === undefined ? {} : { loadTimeMs }),
        modelSha256: model.manifest.sha256,
        loadAverage1m,
        points,
      });
    }
  } finally {
    await pool.close();
  }
  options.onProgress?.({ done, total, current: undefined });
  const profile: Profile = {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    family: info.name,
    ...(resolution === undefined ? {} : { resolution }),
    createdAt,
    statistics: ["p50", "p95", "p99", "mean"],
    defaultStatistic: "p99",
    machine: machineInfo({ start: loadStart, end: loadAverage() }),
    settings,
    provenance: {
      kind: "measured",
      source: "fulcrum profile (@fulcrum/cli)",
      method:
        "one batch in flight through the stage's InferencePool (worker thread, intraOpNumThreads = cores, interOp 1, no spinning); " +
        "sample = submit-to-result totalMs after warm-up; a session's batch sizes take turns of 0.2 s; " +
        "each point until its median is stable (after minSecondsPerPoint) or maxSamples or maxSecondsPerPoint",
    },
    variants: out,
  };
  // Round-trip through the schema so a profile that would not load is never written.
  return parseProfileJson(formatProfile(profile), { family: info.name });
}
