import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import os from "node:os";
import { Command } from "commander";
import { positiveInt, positiveIntList, positiveNumber } from "./option-parsers.js";
import cliProgress from "cli-progress";
import { fitProfile, formatProfile, type Profile } from "@fulcrum/core/perf";
import { FAMILY_NAMES, getFamily, resolveModelDir } from "@fulcrum/zoo";
import { ProfileOptionError } from "../profile/errors.js";
import { DEFAULT_MAX_SECONDS_PER_POINT, DEFAULT_PROFILE_BATCHES, DEFAULT_PROFILE_CORES, profileFamily } from "../profile/profile-family.js";

/** Where the profile command writes its report lines (stdout by default; tests capture them). */
export interface ProfileCommandIo {
  out: (line: string) => void;
  /** Show a progress bar with ETA (on stderr). @default process.stderr.isTTY */
  progress?: boolean;
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

/** One line per variant: p50/p99 extremes and the p99 Sponge fit with its errors. */
function summarize(p: Profile, io: ProfileCommandIo): void {
  for (const f of fitProfile(p, { statistics: ["p99"] })) {
    const v = p.variants.find((x) => x.name === f.variant)!;
    const unstable = v.points.filter((x) => x.stable === false).length;
    const fit = f.sponge
      ? `γ=${fmt(f.sponge.coefficients.gammaMs, 2)} δ=${fmt(f.sponge.coefficients.deltaMs, 2)} ε=${fmt(f.sponge.coefficients.epsilonMs, 2)} η=${fmt(f.sponge.coefficients.etaMs, 2)} ms, RMSE ${fmt(f.sponge.rmseMs, 2)} ms, worst under-prediction ${fmt(f.sponge.worstUnderPredictionPct)} %`
      : `no Sponge fit (${f.spongeSkipped ?? "?"})`;
    io.out(`${p.family}/${f.variant}: ${v.points.length} points (${unstable} hit the time cap), p99 fit ${fit}`);
  }
}

/**
 * `fulcrum profile`: measures each variant's batch latency distribution over (batch, cores)
 * through the stage's inference pool and writes a versioned profile (`profiles/<family>.json`).
 */
export function profileCommand(io: ProfileCommandIo = { out: (line) => console.log(line) }): Command {
  const showProgress = io.progress ?? Boolean(process.stderr.isTTY);
  return new Command("profile")
    .description("measure latency (p50/p95/p99) of a family's variants over batch × cores through the stage's worker path and write a profile")
    .option("-f, --family <family>", `family to profile (${FAMILY_NAMES.join(", ")}; default: all, each to profiles/<family>.json)`)
    .option("--variants <list>", "comma-separated variants (default: all of the family)", (v: string) => v.split(",").map((s) => s.trim()).filter((s) => s !== ""))
    .option("-b, --batches <list>", "comma-separated batch sizes", positiveIntList("--batches"), [...DEFAULT_PROFILE_BATCHES])
    .option("-c, --cores <list>", "comma-separated cores (intra-op threads) per replica", positiveIntList("--cores"), [...DEFAULT_PROFILE_CORES])
    .option("-o, --out <file>", "output file (default: profiles/<family>.json)")
    .option("-r, --resolution <pixels>", "input resolution (default: the family's)", positiveInt("--resolution"))
    .option("--max-seconds-per-point <s>", "time cap per (variant, batch, cores) point", positiveNumber("--max-seconds-per-point"), DEFAULT_MAX_SECONDS_PER_POINT)
    .option("--model-dir <dir>", "generated-model cache (default: $FULCRUM_MODEL_DIR or <repo>/.fulcrum/models)")
    .action(
      async (opts: { family?: string; variants?: string[]; batches: number[]; cores: number[]; out?: string; resolution?: number; maxSecondsPerPoint: number; modelDir?: string }) => {
        const families = opts.family ? [getFamily(opts.family).name] : [...FAMILY_NAMES];
        if (!opts.family && (opts.out || opts.variants || opts.resolution !== undefined)) throw new ProfileOptionError("--family", "required with --out, --variants or --resolution");
        const modelDir = opts.modelDir ?? resolveModelDir(process.env, process.cwd());
        const overCommitted = opts.cores.filter((c) => c > os.cpus().length);
        if (overCommitted.length > 0) io.out(`warning: cores ${overCommitted.join(",")} exceed the ${os.cpus().length} logical CPUs here: those points measure oversubscription`);
        for (const family of families) {
          const out = resolve(opts.out ?? `profiles/${family}.json`);
          const bar = showProgress
            ? new cliProgress.SingleBar(
                { format: `profile ${family} [{bar}] {value}/{total} points | ETA {eta_formatted} | {point}`, hideCursor: true, etaBuffer: 8 },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
          const startedMs = performance.now();
          let profile: Profile;
          try {
            profile = await profileFamily({
              family,
              modelDir,
              batches: opts.batches,
              cores: opts.cores,
              maxSecondsPerPoint: opts.maxSecondsPerPoint,
              ...(opts.variants ? { variants: opts.variants } : {}),
              ...(opts.resolution === undefined ? {} : { resolution: opts.resolution }),
              onProgress: (p) => {
                if (!bar) return;
                const point = p.current ? `${p.current.variant} on ${p.current.cores} core(s)` : "done";
                if (p.done === 0 && !bar.isActive) bar.start(p.total, 0, { point });
                bar.update(p.done, { point });
              },
            });
          } finally {
            bar?.stop();
          }
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, formatProfile(profile));
          summarize(profile, io);
          const load = profile.machine!.loadAverage;
          io.out(
            `profile ${family}: ${profile.variants.length} variants in ${fmt((performance.now() - startedMs) / 1000)} s, load average ${fmt(load.start[0], 2)} → ${fmt(load.end[0], 2)} on ${profile.machine!.logicalCores} CPUs, written to ${out}`,
          );
        }
      },
    );
}
