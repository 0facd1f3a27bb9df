import { z } from "zod";
import { ProfileError, type ProfileIssue } from "./errors.js";

/** Version of the profile document format written by `fulcrum profile`; bumped on any breaking change. */
export const PROFILE_SCHEMA_VERSION = 1;

/**
 * The latency statistics a profile point may carry, in ms. `reported` is a single number a paper
 * publishes without saying which statistic it is (kept apart so it is never mistaken for a p99).
 */
export const LATENCY_STATISTICS = ["p50", "p95", "p99", "mean", "reported"] as const;
export type LatencyStatistic = (typeof LATENCY_STATISTICS)[number];

/** Field of a point holding statistic `s` (`p99` → `p99Ms`). */
export const statisticField = (s: LatencyStatistic): `${LatencyStatistic}Ms` => `${s}Ms`;

const positiveMs = z.number().positive().finite();

/** Latency distribution of one (batch, cores) point of a variant. Every latency is one whole batch, ms. */
export const ProfilePointSchema = z.strictObject({
  batch: z.number().int().min(1),
  /** Cores of the replica (= onnxruntime intra-op threads). */
  cores: z.number().int().min(1),
  /** Batches timed (after warm-up). Required in measured profiles. */
  samples: z.number().int().min(1).optional(),
  p50Ms: positiveMs.optional(),
  p95Ms: positiveMs.optional(),
  p99Ms: positiveMs.optional(),
  meanMs: positiveMs.optional(),
  reportedMs: positiveMs.optional(),
  /** Median of `session.run` alone inside the worker, ms (the rest of p50 is serving overhead). */
  runP50Ms: positiveMs.optional(),
  /** True when the stopping rule (stable median) ended the point, false when the time cap did. */
  stable: z.boolean().optional(),
  /** Wall time spent timing this point, s. */
  seconds: z.number().nonnegative().optional(),
});
export type ProfilePoint = z.infer<typeof ProfilePointSchema>;

/**
 * InfAdapter's capacity model of a variant: the highest rate (rps) whose `statistic` latency stays
 * within `sloMs`, linear in cores: `capacity(c) = slope·c + intercept`.
 */
export const CapacityModelSchema = z.strictObject({
  sloMs: positiveMs,
  statistic: z.enum(LATENCY_STATISTICS),
  slopeRpsPerCore: z.number().positive().finite(),
  interceptRps: z.number().finite(),
  /** Core counts the line was fitted on (the model is extrapolating outside them). */
  coresMeasured: z.array(z.number().int().min(1)).min(1),
});
export type CapacityModel = z.infer<typeof CapacityModelSchema>;

/** Sponge's latency model as a source published it (fitted on points it may not all publish). */
export const ReportedFitSchema = z.strictObject({
  gammaMs: z.number().nonnegative().finite(),
  deltaMs: z.number().nonnegative().finite(),
  epsilonMs: z.number().nonnegative().finite(),
  etaMs: z.number().nonnegative().finite(),
  rmseMs: z.number().nonnegative().optional(),
  statistic: z.enum(LATENCY_STATISTICS),
  /** Where the coefficients come from. */
  source: z.string().min(1),
});
export type ReportedFit = z.infer<typeof ReportedFitSchema>;

/** One variant's profile: measured points and/or a capacity model, plus what the zoo knows of it. */
export const ProfileVariantSchema = z.strictObject({
  name: z.string().min(1),
  /** Accuracy as a fraction in [0, 1] (top-1, mAP), when known. */
  accuracy: z.number().min(0).max(1).optional(),
  accuracySource: z.enum(["published", "measured"]).optional(),
  /** Cold-start load time of a replica, ms (session creation here; published for paper sets). */
  loadTimeMs: z.number().nonnegative().finite().optional(),
  /** sha256 of the model file measured (lower-case hex). */
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /** 1-minute load average when this variant's measurement started (measured profiles). */
  loadAverage1m: z.number().nonnegative().optional(),
  points: z.array(ProfilePointSchema),
  capacity: CapacityModelSchema.optional(),
  reportedFit: ReportedFitSchema.optional(),
});
export type ProfileVariant = z.infer<typeof ProfileVariantSchema>;

const loadTriple = z.tuple([z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative()]);

/** The machine a measured profile was taken on. */
export const MachineSchema = z.strictObject({
  /** `os.cpus()[0].model`. */
  cpuModel: z.string(),
  /** Logical CPUs the OS reports. */
  logicalCores: z.number().int().min(1),
  platform: z.string(),
  arch: z.string(),
  osRelease: z.string(),
  totalMemBytes: z.number().int().positive(),
  /** Node.js version (`process.version`). */
  node: z.string(),
  /** onnxruntime-node version. */
  onnxruntime: z.string(),
  /**
   * `os.loadavg()` (1, 5, 15 min) when measuring started and ended. Above the core count the
   * machine was shared and the latencies are inflated: judge the profile by it.
   */
  loadAverage: z.strictObject({ start: loadTriple, end: loadTriple }),
});
export type Machine = z.infer<typeof MachineSchema>;

/** Where a profile's numbers come from. */
export const ProfileProvenanceSchema = z.strictObject({
  /** `measured`: timed here by `fulcrum profile`; `paper`: transcribed from a publication or its code. */
  kind: z.enum(["measured", "paper"]),
  /** Tool and version, or the paper/code location. */
  source: z.string().min(1),
  /** How the numbers were obtained (timing path, stopping rule; or the paper's method). */
  method: z.string().min(1),
  /** Provenance tag (docs/architecture.md#provenance-tags) for paper sets: R read in code, D derived, A abstract, S paper text. */
  tag: z.enum(["R", "D", "A", "S"]).optional(),
  note: z.string().optional(),
});
export type ProfileProvenance = z.infer<typeof ProfileProvenanceSchema>;

/** Stopping rule and warm-up a measured profile was taken with. */
export const MeasurementSettingsSchema = z.strictObject({
  warmupRunsPerSize: z.number().int().min(0),
  minSamples: z.number().int().min(1),
  maxSamples: z.number().int().min(1),
  /** Time cap per point, s. */
  maxSecondsPerPoint: z.number().positive(),
  /** Timing per point before a stable median may end it, s (fast points then get enough samples for a p99). */
  minSecondsPerPoint: z.number().nonnegative(),
  /** The median is stable when it moved less than this fraction over the last `stableWindow` samples. */
  stableRelTol: z.number().positive(),
  stableWindow: z.number().int().min(1),
  /** What one sample times: `totalMs` = submit-to-result through the stage's inference pool. */
  timing: z.enum(["totalMs", "runMs"]),
});
export type MeasurementSettings = z.infer<typeof MeasurementSettingsSchema>;

const ProfileObjectSchema = z.strictObject({
  schemaVersion: z.literal(PROFILE_SCHEMA_VERSION),
  family: z.string().min(1),
  /** Input resolution in pixels per side, when the family has one. */
  resolution: z.number().int().min(1).optional(),
  /** When the numbers were measured (paper sets: when the paper was presented). ISO 8601. */
  createdAt: z.iso.datetime({ offset: true }),
  /** The statistics every point carries. */
  statistics: z.array(z.enum(LATENCY_STATISTICS)).min(1),
  /** The statistic a policy uses unless told otherwise. */
  defaultStatistic: z.enum(LATENCY_STATISTICS),
  machine: MachineSchema.optional(),
  settings: MeasurementSettingsSchema.optional(),
  provenance: ProfileProvenanceSchema,
  variants: z.array(ProfileVariantSchema).min(1),
});

/** A profile document (JSON): the latency surfaces of a family's variants over (batch, cores). */
export type Profile = z.infer<typeof ProfileObjectSchema>;

/** Cross-field rules the per-field schema cannot state; each issue names its field. */
function crossCheck(p: Profile): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const measured = p.provenance.kind === "measured";
  if (!p.statistics.includes(p.defaultStatistic)) {
    issues.push({ field: "defaultStatistic", message: `"${p.defaultStatistic}" is not among statistics [${p.statistics.join(", ")}]` });
  }
  if (measured && !p.machine) issues.push({ field: "machine", message: "required in a measured profile" });
  if (measured && !p.settings) issues.push({ field: "settings", message: "required in a measured profile" });
  const names = new Set<string>();
  p.variants.forEach((v, i) => {
    const at = `variants[${i}]`;
    if (names.has(v.name)) issues.push({ field: `${at}.name`, message: `duplicate variant "${v.name}"` });
    names.add(v.name);
    if (v.points.length === 0 && !v.capacity && !v.reportedFit) issues.push({ field: `${at}.points`, message: "a variant needs measured points, a capacity model or a reported fit" });
    const seen = new Set<string>();
    v.points.forEach((pt, j) => {
      const pat = `${at}.points[${j}]`;
      const key = `${pt.batch}x${pt.cores}`;
      if (seen.has(key)) issues.push({ field: pat, message: `duplicate point batch=${pt.batch} cores=${pt.cores}` });
      seen.add(key);
      for (const s of p.statistics) {
        if (pt[statisticField(s)] === undefined) issues.push({ field: `${pat}.${statisticField(s)}`, message: `missing (the profile lists "${s}" in statistics)` });
      }
      if (measured && pt.samples === undefined) issues.push({ field: `${pat}.samples`, message: "required in a measured profile" });
      if (pt.p50Ms !== undefined && pt.p95Ms !== undefined && pt.p95Ms < pt.p50Ms) issues.push({ field: `${pat}.p95Ms`, message: `${pt.p95Ms} < p50Ms ${pt.p50Ms}` });
      if (pt.p95Ms !== undefined && pt.p99Ms !== undefined && pt.p99Ms < pt.p95Ms) issues.push({ field: `${pat}.p99Ms`, message: `${pt.p99Ms} < p95Ms ${pt.p95Ms}` });
    });
  });
  return issues;
}

/** Zod schema of a {@link Profile}, including the cross-field rules. */
export const ProfileSchema = ProfileObjectSchema.superRefine((p, ctx) => {
  for (const i of crossCheck(p)) ctx.addIssue({ code: "custom", message: i.message, path: parsePath(i.field) });
});

function parsePath(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) out += typeof k === "number" ? `[${k}]` : `${out === "" ? "" : "."}${String(k)}`;
  return out === "" ? "(root)" : out;
}

/** What the caller expects of a profile; a mismatch is a {@link ProfileError} naming the field. */
export interface ProfileExpectation {
  /** The family the profile must describe. */
  readonly family?: string;
  /** A statistic every point must carry. */
  readonly statistic?: LatencyStatistic;
  /** Variants the profile must contain. */
  readonly variants?: readonly string[];
}

/**
 * Validates a parsed JSON document as a {@link Profile}.
 * @param source file name for the error message
 * @throws ProfileError listing every problem as `field: message`
 */
export function parseProfile(doc: unknown, expect: ProfileExpectation = {}, source?: string): Profile {
  const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof doc === "object" && doc !== null && version !== PROFILE_SCHEMA_VERSION) {
    // A different version is reported alone: its other fields would only add noise.
    throw new ProfileError([{ field: "schemaVersion", message: `expected ${PROFILE_SCHEMA_VERSION}, got ${JSON.stringify(version)}` }], { source });
  }
  const r = ProfileSchema.safeParse(doc);
  if (!r.success) {
    throw new ProfileError(r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })), { source, cause: r.error });
  }
  const p = r.data;
  const issues: ProfileIssue[] = [];
  if (expect.family !== undefined && p.family !== expect.family) issues.push({ field: "family", message: `expected "${expect.family}", got "${p.family}"` });
  if (expect.statistic !== undefined && !p.statistics.includes(expect.statistic)) {
    issues.push({ field: "statistics", message: `"${expect.statistic}" is not among [${p.statistics.join(", ")}]` });
  }
  for (const v of expect.variants ?? []) {
    if (!p.variants.some((x) => x.name === v)) issues.push({ field: "variants", message: `no variant "${v}" (has ${p.variants.map((x) => x.name).join(", ")})` });
  }
  if (issues.length > 0) throw new ProfileError(issues, { source });
  return p;
}

/**
 * Parses profile JSON text (e.g. a file's contents; reading it is the caller's I/O).
 * @throws ProfileError naming `(root)` for text that is not JSON, else as {@link parseProfile}
 */
export function parseProfileJson(text: string, expect: ProfileExpectation = {}, source?: string): Profile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ProfileError([{ field: "(root)", message: `not JSON: ${(err as Error).message}` }], { source, cause: err });
  }
  return parseProfile(doc, expect, source);
}

/** A profile as the JSON text `fulcrum profile` writes (stable key order, trailing newline). */
export function formatProfile(p: Profile): string {
  return `${JSON.stringify(ProfileSchema.parse(p), null, 2)}\n`;
}
