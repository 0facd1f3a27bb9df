import { readFileSync, writeFileSync } from "node:fs";
import type { LstmFeature } from "@fulcrum/core/forecast";
import { binMeans, binPeaks, LSTM_FEATURES, lstmMape, makeWindows, secondsToBins, trainLstm } from "@fulcrum/core/forecast";
import { generateTrainingTrace, IPA_DAMPING, parseRateCsv, sliceTraceWindow, TWITTER_TRAIN_SECONDS } from "@fulcrum/core/workload";
import { exportLstmToOnnx } from "@fulcrum/predictor";
import { loadTwitterTrace } from "@fulcrum/runtime";
import { SingleBar, Presets } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { positiveInt, positiveNumber } from "./option-parsers.js";

/** Options of `fulcrum predictor train`, after parsing. */
interface TrainCliOptions {
  trace: string;
  out: string;
  seed: number;
  epochs: number;
  trainDays?: number;
  strideBins: number;
  damping?: number;
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

function normalizationKind(value: string): "fixed" | "window-mean" {
  if (value !== "fixed" && value !== "window-mean") throw new InvalidArgumentError(`--normalization must be "fixed" or "window-mean", got "${value}"`);
  return value;
}

/** Where the ONNX file goes: the weights path with `.json` replaced by (or suffixed with) `.onnx`. */
export function onnxPathFor(weightsPath: string): string {
  return weightsPath.endsWith(".json") ? `${weightsPath.slice(0, -5)}.onnx` : `${weightsPath}.onnx`;
}

async function train(o: TrainCliOptions, log: (line: string) => void): Promise<void> {
  let rps: number[];
  let source: Record<string, unknown>;
  if (o.trace === "generated") {
    const trace = generateTrainingTrace({ seed: o.seed });
    const days = o.trainDays ?? GENERATED_TRAIN_DAYS;
    rps = trace.rps.slice(0, days * DAY_S);
    source = { kind: "generated", ...trace.options, trainDays: days };
  } else if (o.trace === "twitter") {
    // The committed trace, damped as IPA damps it (truncating division); the days after the
    // training span are what `npm run bench -- predictor` holds out.
    const days = o.trainDays ?? TWITTER_TRAIN_DAYS;
    const dampingFactor = o.damping ?? IPA_DAMPING;
    rps = sliceTraceWindow(loadTwitterTrace(), { segments: [[0, days * DAY_S]], damping: dampingFactor });
    source = { kind: "twitter", file: "data/twitter-trace/workload.txt.gz", dampingFactor, trainDays: days, seconds: rps.length };
  } else {
    const dampingFactor = o.damping ?? 1;
    const parsed = parseRateCsv(readFileSync(o.trace, "utf8"), { dampingFactor });
    rps = o.trainDays === undefined ? parsed.rps : parsed.rps.slice(0, o.trainDays * DAY_S);
    source = { kind: "csv", file: o.trace, dampingFactor, seconds: rps.length };
  }
  const windowBins = secondsToBins("--window-s", o.windowS, o.binS);
  const horizonBins = secondsToBins("--horizon-s", o.horizonS, o.binS);
  const peaks = binPeaks(rps, o.binS);
  const data = makeWindows(peaks, windowBins, horizonBins, o.strideBins, binMeans(rps, o.binS));
  log(
    `trace: ${rps.length} s → ${peaks.length} bins of ${o.binS} s → ${data.targets.length} samples ` +
      `(window ${windowBins}, horizon ${horizonBins} bins, features ${o.features.join("+")}, ${o.normalization} scale)`,
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
  const weights = { ...result.weights, training: { ...result.weights.training, source, trainSeconds: Math.round(trainSeconds) } };
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
    .option("--damping <f>", `divide counts by this (default ${IPA_DAMPING} for "twitter", truncating as IPA does; 1 for a CSV)`, positiveNumber("--damping"))
    .option("--hidden <n>", "LSTM hidden units", positiveInt("--hidden"), 25)
    .option("--bin-s <n>", "seconds per peak bin", positiveInt("--bin-s"), 10)
    .option("--window-s <n>", "history the model reads, seconds", positiveInt("--window-s"), 120)
    .option("--horizon-s <n>", "span of the forecast peak, seconds", positiveInt("--horizon-s"), 20)
    .option("--features <list>", `per-bin inputs, comma separated (${LSTM_FEATURES.join(", ")}); IPA uses peak only`, featureList, ["peak", "mean"])
    .option("--normalization <kind>", '"fixed" (scale learned from the trace) or "window-mean"', normalizationKind, "fixed")
    .option("--no-progress", "no progress bar")
    .action(async (options: TrainCliOptions) => {
      await train(options, (line) => console.log(line));
    });
  return predictor;
}
