import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import type { LstmFeature } from "@fulcrum/core/forecast";
import type { WindowSamples } from "@fulcrum/core/forecast";
import { binMeans, binPeaks, interleaveWindows, LSTM_FEATURES, lstmMape, makeWindows, secondsToBins, trainLstm } from "@fulcrum/core/forecast";
import { generateTrainingTrace, IPA_DAMPING, parseRateCsv, sliceTraceWindow, TWITTER_TRAIN_SECONDS } from "@fulcrum/core/workload";
import { exportLstmToOnnx } from "@fulcrum/predictor";
import { loadTwitterTrace } from "@fulcrum/runtime";
import { SingleBar, Presets } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { positiveInt } from "./option-parsers.js";

/** Options of `fulcrum predictor train`, after parsing. */
interface TrainCliOptions {
  trace: string;
  out: string;
  seed: number;
  epochs: number;
  trainDays?: number;
  strideBins: number;
  damping?: number[];
  hidden: number;
  binS: number;
  windowS: number;
  horizonS: number;
  features: LstmFeature[];
  normalization: "fixed" | "window-mean";
  progress: boolean;
}

const DAY_S = 86_400;
/** Days of the generated 21-day trace used for training; the rest is held out for `npm run bench -- predictor`. */
const GENERATED_TRAIN_DAYS = 14;
const TWITTER_TRAIN_DAYS = TWITTER_TRAIN_SECONDS / DAY_S;

function featureList(value: string): LstmFeature[] {
  const features = value.split(",").map((f) => f.trim());
  const bad = features.find((f) => !(LSTM_FEATURES as readonly string[]).includes(f));
  if (bad !== undefined || features.length === 0 || new Set(features).size !== features.length) {
    throw new InvalidArgumentError(`--features must be distinct names from ${LSTM_FEATURES.join(", ")}, got "${value}"`);
  }
  return features as LstmFeature[];
}

function dampingList(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  const ns = parts.map(Number);
  if (parts.some((s) => s === "") || ns.some((n) => !(n > 0) || !Number.isFinite(n)) || new Set(ns).size !== ns.length) {
    throw new InvalidArgumentError(`--damping must be a comma-separated list of distinct numbers > 0, got "${value}"`);
  }
  return ns;
}

function normalizationKind(value: string): "fixed" | "window-mean" {
  if (value !== "fixed" && value !== "window-mean") throw new InvalidArgumentError(`--normalization must be "fixed" or "window-mean", got "${value}"`);
  return value;
}

/** Where the ONNX file goes: the weights path with `.json` replaced by (or suffixed with) `.onnx`. */
export function onnxPathFor(weightsPath: string): string {
  return weightsPath.endsWith(".json") ? `${weightsPath.slice(0, -5)}.onnx` : `${weightsPath}.onnx`;
}

/** The damping factors to train on: given, or the trace's default (Twitter: both scales when scale-free, IPA's ÷ 8 with a fixed scale). */
function dampings(o: TrainCliOptions): number[] {
  const list = o.damping ?? (o.trace === "twitter" ? (o.normalization === "fixed" ? [IPA_DAMPING] : [1, IPA_DAMPING]) : [1]);
  if (o.normalization === "fixed" && list.length > 1) {
    throw new InvalidArgumentError(`--damping ${list.join(",")}: a "fixed" scale is learned from one scale of the trace; give one damping or --normalization window-mean`);
  }
  return list;
}

/**
 * Windows of `rps` at each damping, interleaved. Scale k starts `k · ⌊stride / scales⌋` bins in, so
 * with stride > 1 the scales sample different windows of the trace rather than the same ones twice.
 */
function scaledWindows(rps: readonly number[], dampingFactors: readonly number[], o: TrainCliOptions, windowBins: number, horizonBins: number): WindowSamples {
  // The Twitter trace is damped as IPA's load generator damps it (truncating); a CSV's rates are just divided.
  const damp = o.trace === "twitter" ? (c: number, d: number) => Math.trunc(c / d) : (c: number, d: number) => c / d;
  const offset = Math.floor(o.strideBins / dampingFactors.length);
  return interleaveWindows(
    dampingFactors.map((d, k) => {
      const damped = d === 1 ? rps : rps.map((c) => damp(c, d));
      const peaks = binPeaks(damped, o.binS).slice(k * offset);
      return makeWindows(peaks, windowBins, horizonBins, o.strideBins, binMeans(damped, o.binS).slice(k * offset));
    }),
  );
}

/** The commit the trainer runs from and whether tracked files differ from it (provenance of the model); undefined outside git. */
function sourceRevision(): { commit: string; dirty: boolean } | undefined {
  try {
    const git = (...args: string[]): string => execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return { commit: git("rev-parse", "HEAD"), dirty: git("status", "--porcelain", "--untracked-files=no").length > 0 };
  } catch {
    // Not a git checkout: the model records no revision.
    return undefined;
  }
}

/** The full `fulcrum predictor train` line that reproduces this model, every option spelled out. */
function reproduceCommand(o: TrainCliOptions, dampingFactors: readonly number[]): string {
  const days = o.trainDays === undefined ? [] : ["--train-days", String(o.trainDays)];
  return [
    "fulcrum predictor train --trace", o.trace, "--out", o.out, "--seed", o.seed, "--epochs", o.epochs, ...days, "--stride-bins", o.strideBins,
    "--damping", dampingFactors.join(","), "--hidden", o.hidden, "--bin-s", o.binS, "--window-s", o.windowS, "--horizon-s", o.horizonS,
    "--features", o.features.join(","), "--normalization", o.normalization,
  ].join(" ");
}

async function train(o: TrainCliOptions, log: (line: string) => void): Promise<void> {
  let rps: number[];
  let source: Record<string, unknown>;
  const dampingFactors = dampings(o);
  // Read before training: files edited while it runs must not make the model's revision look dirty.
  const revision = sourceRevision() ?? null;
  if (o.trace === "generated") {
    const trace = generateTrainingTrace({ seed: o.seed });
    const days = o.trainDays ?? GENERATED_TRAIN_DAYS;
    rps = trace.rps.slice(0, days * DAY_S);
    source = { kind: "generated", ...trace.options, trainDays: days, dampingFactors };
  } else if (o.trace === "twitter") {
    // The committed trace, undamped here (each damping is applied below); the days after the
    // training span are what `npm run bench -- predictor` holds out.
    const days = o.trainDays ?? TWITTER_TRAIN_DAYS;
    rps = sliceTraceWindow(loadTwitterTrace(), { segments: [[0, days * DAY_S]], damping: 1 });
    source = { kind: "twitter", file: "data/twitter-trace/workload.txt.gz", dampingFactors, trainDays: days, seconds: rps.length };
  } else {
    const parsed = parseRateCsv(readFileSync(o.trace, "utf8"), { dampingFactor: 1 });
    rps = o.trainDays === undefined ? parsed.rps : parsed.rps.slice(0, o.trainDays * DAY_S);
    source = { kind: "csv", file: o.trace, dampingFactors, seconds: rps.length };
  }
  const windowBins = secondsToBins("--window-s", o.windowS, o.binS);
  const horizonBins = secondsToBins("--horizon-s", o.horizonS, o.binS);
  const data = scaledWindows(rps, dampingFactors, o, windowBins, horizonBins);
  log(
    `trace: ${rps.length} s in ${o.binS} s bins at damping ${dampingFactors.join(", ")} → ${data.targets.length} samples ` +
      `(window ${windowBins}, horizon ${horizonBins} bins, stride ${o.strideBins}, features ${o.features.join("+")}, ${o.normalization} scale)`,
  );

  const bar = o.progress
    ? new SingleBar({ format: "training [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss} | val {val} | ETA {eta_formatted}" }, Presets.shades_classic)
    : undefined;
  let started = false;
  const t0 = performance.now();
  const result = trainLstm(data, {
    seed: o.seed,
    features: o.features,
    normalization: o.normalization,
    epochs: o.epochs,
    hiddenSize: o.hidden,
    windowBins,
    horizonBins,
    binS: o.binS,
    onProgress: (p) => {
      if (!bar) return;
      const payload = { epoch: p.epoch, epochs: p.epochs, loss: p.trainLoss.toFixed(4), val: p.validationLoss?.toFixed(4) ?? "-" };
      if (!started) {
        bar.start(p.epochs * p.batches, 0, payload);
        started = true;
      }
      bar.update((p.epoch - 1) * p.batches + p.batch, payload);
    },
  });
  bar?.stop();
  const trainSeconds = (performance.now() - t0) / 1000;
  const provenance = { command: reproduceCommand(o, dampingFactors), revision };
  const weights = { ...result.weights, training: { ...result.weights.training, source, trainSeconds: Math.round(trainSeconds), ...provenance } };
  writeFileSync(o.out, `${JSON.stringify(weights)}\n`);
  const onnxPath = onnxPathFor(o.out);
  writeFileSync(onnxPath, exportLstmToOnnx(weights));
  // The trainer's validation split is the last 10% of samples: report the MAPE there.
  const tail = Math.max(1, Math.floor(data.targets.length * 0.1));
  const validation = {
    inputs: data.inputs.slice(-tail),
    meanInputs: (data.meanInputs as number[][]).slice(-tail),
    targets: data.targets.slice(-tail),
  };
  log(
    `best epoch ${result.bestEpoch}/${o.epochs}, validation loss ${result.validationLoss[result.bestEpoch - 1]?.toFixed(4)}, ` +
      `validation MAPE ${lstmMape(weights, validation).toFixed(4)}, ${trainSeconds.toFixed(0)} s`,
  );
  log(`wrote ${o.out} and ${onnxPath}`);
}

/**
 * `fulcrum predictor …`: `train --trace <csv|generated|twitter> --out <weights.json>` trains the LSTM load
 * forecaster in TypeScript and writes its weights (JSON, read by `parseLstmWeights`) and the ONNX
 * export next to them (`.onnx`).
 */
export function predictorCommand(): Command {
  const predictor = new Command("predictor").description("load predictor: train the LSTM forecaster");
  predictor
    .command("train")
    .description("train the LSTM forecaster on a per-second rate trace and write weights JSON + ONNX")
    .requiredOption(
      "--trace <csv|generated|twitter>",
      'a per-second rate CSV (time,count or counts), "generated" for the synthetic 21-day trace, or "twitter" for the committed Twitter trace',
    )
    .requiredOption("--out <file>", "weights JSON to write; the ONNX model goes next to it with the .onnx extension")
    .option("--seed <n>", "seed for the generated trace, initialization and shuffling", positiveInt("--seed"), 7)
    .option("--epochs <n>", "passes over the samples", positiveInt("--epochs"), 8)
    .option(
      "--train-days <n>",
      `days of the trace to train on (default ${GENERATED_TRAIN_DAYS} for "generated", ${TWITTER_TRAIN_DAYS} for "twitter", all of a CSV)`,
      positiveInt("--train-days"),
    )
    .option("--stride-bins <n>", "take a training sample every n bins", positiveInt("--stride-bins"), 2)
    .option(
      "--damping <list>",
      `divide counts by each of these, truncating as IPA does, and train on all the scales together (default "1,${IPA_DAMPING}" for "twitter" with window-mean scaling, ${IPA_DAMPING} with a fixed scale; 1 otherwise)`,
      dampingList,
    )
    .option("--hidden <n>", "LSTM hidden units", positiveInt("--hidden"), 25)
    .option("--bin-s <n>", "seconds per peak bin", positiveInt("--bin-s"), 10)
    .option("--window-s <n>", "history the model reads, seconds", positiveInt("--window-s"), 120)
    .option("--horizon-s <n>", "span of the forecast peak, seconds", positiveInt("--horizon-s"), 20)
    .option("--features <list>", `per-bin inputs, comma separated (${LSTM_FEATURES.join(", ")}); IPA uses peak only`, featureList, ["peak", "mean"])
    .option(
      "--normalization <kind>",
      '"window-mean" (each window divided by its own mean level: one model for any load scale) or "fixed" (one scale learned from the trace)',
      normalizationKind,
      "window-mean",
    )
    .option("--no-progress", "no progress bar")
    .action(async (options: TrainCliOptions) => {
      await train(options, (line) => console.log(line));
    });
  return predictor;
}
