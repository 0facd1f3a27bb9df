/**
 * `npm run bench -- predictor [--retrain]`: forecast quality of every forecaster (MAPE of the
 * next-20-s peak; under-prediction rate of the upper bound = point + conformal margin) on two traces:
 *
 * - `twitter`: the real Twitter trace (`data/twitter-trace/`), damped ÷ 8 with truncation as IPA
 *   does. Held out: everything after the first 15 days (the training span, ≈ 7 days), and IPA's four
 *   20-minute windows of it and InfAdapter's (`TWITTER_WINDOWS`), each replayed alone as the papers'
 *   experiments do.
 * - `twitterUndamped`: the same seconds and windows at the trace's own scale (InfAdapter replays it
 *   undamped); `scaleInvariance` puts the default model's MAPE at both scales side by side.
 * - `generated`: the synthetic 21-day trace (seed 7); days 14–20 held out, and IPA's four patterns
 *   regenerated with 10 seeds.
 *
 * Every committed LSTM (`services/predictor/models/*.json`) is scored on both traces under the name
 * of the trace it was trained on (`lstm-twitter`, `lstm-generated`); each trace's summary judges the
 * model trained on it against the ≤ 0.85× best-simple-baseline target. `served-best` replays the live
 * predictor's state machine with the service's default model. `--retrain` trains quick models here
 * instead of reading the committed ones (3 epochs, stride 4). IPA's exact input (10-s peaks only,
 * "lstm-peaks-only", 3 epochs, stride 4) is always trained on each trace, to show what the bin means add.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Forecast, Forecaster, ForecastScore, LstmFeature, LstmWeights } from "@fulcrum/core/forecast";
import {
  binMeans,
  binPeaks,
  compileMarginOptions,
  compilePredictorConfig,
  evaluateForecasters,
  ewmaForecaster,
  futurePeak,
  holtForecaster,
  initialPredictorState,
  lastValueForecaster,
  lstmForecaster,
  makeWindows,
  movingMaxForecaster,
  parseLstmWeights,
  predictorStep,
  seasonalNaiveForecaster,
  trainLstm,
} from "@fulcrum/core/forecast";
import { generateIpaPattern, generateTrainingTrace, IPA_DAMPING, IPA_PATTERNS, sliceTraceWindow, TWITTER_TRAIN_SECONDS, TWITTER_WINDOWS } from "@fulcrum/core/workload";
import { loadTwitterTrace } from "@fulcrum/runtime";

const DAY_S = 86_400;
const BIN_S = 10;
const HORIZON_BINS = 2;
const DAY_BINS = DAY_S / BIN_S;
const MARGIN = compileMarginOptions({ underPredictionRate: 0.05 });
const IPA_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** Seed of the generated trace and of every model trained here. */
const SEED = 7;
const GENERATED_TRAIN_DAYS = 14;
const BASELINES = ["last-value", "moving-max", "ewma", "holt", "seasonal-naive"];
const RATIO_TARGET = 0.85;
const UNDER_PREDICTION_TARGET = 0.1;
/** The committed models; the first is the predictor service's default. */
const MODEL_FILES = ["lstm-default.json", "lstm-generated.json"];
type TraceKind = "twitter" | "generated";

const round = (v: number): number => Math.round(v * 10_000) / 10_000;
const brief = (s: ForecastScore) => ({
  mape: round(s.mape),
  underPredictionRate: round(s.underPredictionRate),
  pointUnderPredictionRate: round(s.pointUnderPredictionRate),
  meanMarginFraction: round(s.meanMarginFraction),
  intervals: s.intervals,
});

interface Model {
  file: string;
  /** `lstm-<trace it was trained on>`. */
  name: string;
  trainedOn: TraceKind;
  weights: LstmWeights;
  training: Record<string, unknown>;
}

function loadModel(file: string): Model {
  const path = fileURLToPath(new URL(`../../services/predictor/models/${file}`, import.meta.url));
  const weights = parseLstmWeights(JSON.parse(readFileSync(path, "utf8")));
  const kind = (weights.training?.source as { kind?: string } | undefined)?.kind;
  if (kind !== "twitter" && kind !== "generated") throw new Error(`${path}: training.source.kind must be "twitter" or "generated", got ${String(kind)}`);
  // Never score a model on seconds it trained on: its training span must end where the held-out part starts.
  // A fixed-scale model must also have learned its scale from the trace as scored (÷ 8); a
  // window-mean model is scale-free, so any damping of the training span is fair.
  const source = weights.training?.source as { trainDays?: number; dampingFactor?: number; dampingFactors?: number[]; seed?: number };
  const dampings = source.dampingFactors ?? (source.dampingFactor === undefined ? [1] : [source.dampingFactor]);
  const scaleFits = weights.normalization.kind === "window-mean" || (dampings.length === 1 && dampings[0] === IPA_DAMPING);
  const fits =
    kind === "twitter"
      ? source.trainDays !== undefined && source.trainDays * DAY_S <= TWITTER_TRAIN_SECONDS && scaleFits
      : source.trainDays !== undefined && source.trainDays <= GENERATED_TRAIN_DAYS && source.seed === SEED;
  if (!fits) throw new Error(`${path}: trained on ${JSON.stringify(source)}, which overlaps this bench's held-out ${kind} data or differs from it`);
  return { file: `services/predictor/models/${file}`, name: `lstm-${kind}`, trainedOn: kind, weights, training: { ...weights.training } };
}

const named = (weights: LstmWeights, name: string): Forecaster => ({ ...lstmForecaster(weights), name });

/** Trains quickly (3 epochs, every 4th window) on the first `splitBin` bins. */
function quickTrain(peaks: readonly number[], means: readonly number[], splitBin: number, features: LstmFeature[], like: LstmWeights) {
  const t0 = performance.now();
  const data = makeWindows(peaks.slice(0, splitBin), like.windowBins, HORIZON_BINS, 4, features.includes("mean") ? means.slice(0, splitBin) : undefined);
  const { weights } = trainLstm(data, {
    seed: SEED,
    epochs: 3,
    windowBins: like.windowBins,
    hiddenSize: like.hiddenSize,
    horizonBins: HORIZON_BINS,
    binS: BIN_S,
    features,
    normalization: like.normalization.kind,
  });
  return { weights, trainSeconds: round((performance.now() - t0) / 1000) };
}

/** Runs the live predictor's state machine (serve the best by rolling error) over per-second load and scores what it published. */
function scoreServed(rps: readonly number[], peaks: readonly number[], fromBin: number, weights: LstmWeights, startS: number) {
  const config = compilePredictorConfig({ lstm: weights, seasonS: DAY_S, margin: { underPredictionRate: MARGIN.underPredictionRate } });
  let state = initialPredictorState();
  let ape = 0;
  let under = 0;
  let n = 0;
  const served: Record<string, number> = {};
  for (let s = startS; s < rps.length; s++) {
    state = predictorStep(state, { kind: "sample", atMs: s * 1000, rps: rps[s] as number }, config, s * 1000).state;
    if (s % BIN_S !== 0) continue;
    // The sample of second s just closed bin s/BIN_S − 1: forecast bins [s/BIN_S, s/BIN_S + 2).
    const bin = s / BIN_S;
    const out = predictorStep(state, { kind: "tick" }, config, s * 1000);
    state = out.state;
    const f = out.forecast as Forecast | undefined;
    if (!f || bin < fromBin || bin + HORIZON_BINS > peaks.length) continue;
    const actual = futurePeak(peaks, bin, HORIZON_BINS);
    ape += Math.abs(actual - f.pointRps) / Math.max(actual, 1);
    if (actual > f.upperRps) under++;
    served[f.model] = (served[f.model] ?? 0) + 1;
    n++;
  }
  return { mape: round(ape / n), underPredictionRate: round(under / n), intervals: n, servedShare: Object.fromEntries(Object.entries(served).map(([k, v]) => [k, round(v / n)])) };
}

function merge(a: ForecastScore | undefined, b: ForecastScore): ForecastScore {
  if (!a) return b;
  const n = a.intervals + b.intervals;
  const w = (x: number, y: number): number => (x * a.intervals + y * b.intervals) / n;
  return {
    mape: w(a.mape, b.mape),
    underPredictionRate: w(a.underPredictionRate, b.underPredictionRate),
    pointUnderPredictionRate: w(a.pointUnderPredictionRate, b.pointUnderPredictionRate),
    meanMarginFraction: w(a.meanMarginFraction, b.meanMarginFraction),
    intervals: n,
  };
}

/** The LSTM trained on this trace against the best simple baseline, by MAPE. */
function judge(scores: Record<string, ForecastScore>, lstmName: string) {
  const best = BASELINES.filter((name) => scores[name]).reduce((a, b) => ((scores[b] as ForecastScore).mape < (scores[a] as ForecastScore).mape ? b : a));
  const lstm = scores[lstmName] as ForecastScore;
  const ratio = lstm.mape / (scores[best] as ForecastScore).mape;
  return {
    lstm: lstmName,
    lstmMape: round(lstm.mape),
    bestBaseline: best,
    bestBaselineMape: round((scores[best] as ForecastScore).mape),
    lstmToBestBaselineRatio: round(ratio),
    ratioTargetMet: ratio <= RATIO_TARGET,
    lstmUnderPredictionRateWithMargin: round(lstm.underPredictionRate),
    underPredictionTargetMet: lstm.underPredictionRate <= UNDER_PREDICTION_TARGET,
  };
}

interface TraceInput {
  kind: TraceKind;
  /** Name in the log lines: the kind, or the kind and its scale. */
  label: string;
  rps: readonly number[];
  splitBin: number;
  /** Per pattern, the series it is scored on (scores merged over them). */
  windows: Record<string, readonly (readonly number[])[]>;
  setup: Record<string, unknown>;
}

/**
 * Scores every forecaster on one trace. `peaksOnly`, when given, is an already trained
 * "lstm-peaks-only" model (the same trace at another scale) instead of training one here.
 */
function scoreTrace(input: TraceInput, models: readonly Model[], servedWeights: LstmWeights, retrain: boolean, peaksOnly?: { weights: LstmWeights; trainSeconds: number }) {
  const peaks = binPeaks(input.rps, BIN_S);
  const means = binMeans(input.rps, BIN_S);
  const own = `lstm-${input.kind}`;
  const training: Record<string, unknown> = {};
  const lstms: Forecaster[] = models.map((m) => named(m.weights, m.name));
  const ownModel = models.find((m) => m.trainedOn === input.kind);
  if (!ownModel) throw new Error(`no committed model was trained on the ${input.kind} trace`);
  if (retrain) {
    const quick = quickTrain(peaks, means, input.splitBin, ownModel.weights.features, ownModel.weights);
    lstms[models.indexOf(ownModel)] = named(quick.weights, own);
    training[own] = { model: "retrained in the bench (3 epochs, stride 4)", trainSeconds: quick.trainSeconds, ...quick.weights.training };
  } else {
    training[own] = { model: ownModel.file, ...ownModel.training };
  }
  const peaksOnlyModel = peaksOnly ?? quickTrain(peaks, means, input.splitBin, ["peak"], ownModel.weights);
  training["lstm-peaks-only"] = { epochs: 3, strideBins: 4, trainSeconds: peaksOnlyModel.trainSeconds, ...(peaksOnly ? { trainedOn: "the ÷ 8 trace (scale-free)" } : {}) };
  const forecasters = [...lstms, named(peaksOnlyModel.weights, "lstm-peaks-only")];
  const simple: Forecaster[] = [lastValueForecaster(), movingMaxForecaster(12), ewmaForecaster(10), holtForecaster()];

  const options = { horizonBins: HORIZON_BINS, historyBins: 64, margin: MARGIN };
  const heldOutScores = evaluateForecasters(peaks, [...simple, seasonalNaiveForecaster(DAY_BINS), ...forecasters], { ...options, fromBin: input.splitBin, means });
  const heldOut: Record<string, object> = Object.fromEntries(Object.entries(heldOutScores).map(([k, v]) => [k, brief(v)]));
  heldOut["served-best"] = scoreServed(input.rps, peaks, input.splitBin, servedWeights, (input.splitBin - DAY_BINS - 60) * BIN_S);

  const patterns: Record<string, Record<string, object>> = {};
  const patternSummary: Record<string, ReturnType<typeof judge>> = {};
  for (const [pattern, series] of Object.entries(input.windows)) {
    const acc: Record<string, ForecastScore> = {};
    for (const rps of series) {
      const scores = evaluateForecasters(binPeaks(rps, BIN_S), [...simple, ...forecasters], { ...options, fromBin: ownModel.weights.windowBins, means: binMeans(rps, BIN_S) });
      for (const [name, score] of Object.entries(scores)) acc[name] = merge(acc[name], score);
    }
    patterns[pattern] = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, brief(v)]));
    patternSummary[pattern] = judge(acc, own);
  }
  const verdict = judge(heldOutScores, own);
  const summary = {
    ...verdict,
    ratioTarget: RATIO_TARGET,
    underPredictionTarget: UNDER_PREDICTION_TARGET,
    lstmPeaksOnlyToBestBaselineRatio: round((heldOutScores["lstm-peaks-only"] as ForecastScore).mape / (heldOutScores[verdict.bestBaseline] as ForecastScore).mape),
    marginUnderPredictionRateConfigured: MARGIN.underPredictionRate,
    patterns: patternSummary,
  };
  for (const [name, s] of Object.entries(heldOut)) console.log(`predictor ${input.label} heldOut ${name}: ${JSON.stringify(s)}`);
  for (const [pattern, scores] of Object.entries(patterns)) {
    for (const [name, s] of Object.entries(scores)) console.log(`predictor ${input.label} window ${pattern} ${name}: ${JSON.stringify(s)}`);
  }
  console.log(`predictor ${input.label} summary: ${JSON.stringify(summary)}`);
  return { setup: input.setup, training, heldOut, windows: patterns, summary, peaksOnly: peaksOnlyModel };
}

/** A trace's scores without the in-memory peaks-only model (weights are not results). */
const withoutModel = ({ peaksOnly: _model, ...scores }: ReturnType<typeof scoreTrace>) => scores;

export default async function predictorBench(args: string[]): Promise<object> {
  const retrain = args.includes("--retrain");
  const models = MODEL_FILES.map(loadModel);
  const served = models[0] as Model;

  // The Twitter trace at IPA's ÷ 8 (what IPA trains and replays) and at its own scale (what
  // InfAdapter replays, E1): the same seconds and windows, so the two show whether a model is scale-free.
  const twitterTrace = loadTwitterTrace();
  const twitterAt = (damping: number, peaksOnly?: { weights: LstmWeights; trainSeconds: number }) => {
    const rps = sliceTraceWindow(twitterTrace, { segments: [[0, twitterTrace.length]], damping });
    const windows: Record<string, number[][]> = Object.fromEntries(IPA_PATTERNS.map((p) => [p, [sliceTraceWindow(twitterTrace, { ...TWITTER_WINDOWS[`ipa-${p}`], damping })]]));
    windows.infadapter = [sliceTraceWindow(twitterTrace, { ...TWITTER_WINDOWS.infadapter, damping })];
    return scoreTrace(
      {
        kind: "twitter",
        label: damping === IPA_DAMPING ? "twitter" : `twitter÷${damping}`,
        rps,
        splitBin: TWITTER_TRAIN_SECONDS / BIN_S,
        windows,
        setup: {
          trace: "data/twitter-trace/workload.txt.gz",
          damping,
          trainDays: TWITTER_TRAIN_SECONDS / DAY_S,
          heldOutSeconds: rps.length - TWITTER_TRAIN_SECONDS,
          windows: `TWITTER_WINDOWS ipa-* and infadapter, each replayed alone, all ÷ ${damping}`,
        },
      },
      models,
      served.weights,
      retrain,
      peaksOnly,
    );
  };
  const twitter = twitterAt(IPA_DAMPING);
  const twitterUndamped = twitterAt(1, twitter.peaksOnly);
  const ownMape = (t: typeof twitter, pattern?: string): number =>
    pattern === undefined ? t.summary.lstmMape : (t.summary.patterns[pattern] as ReturnType<typeof judge>).lstmMape;
  const scaleInvariance = {
    model: twitter.summary.lstm,
    note: "MAPE of the model at the trace's own scale (÷ 1) and at IPA's ÷ 8, same seconds",
    heldOut: { undamped: ownMape(twitterUndamped), damped8: ownMape(twitter) },
    windows: Object.fromEntries(Object.keys(twitter.summary.patterns).map((p) => [p, { undamped: ownMape(twitterUndamped, p), damped8: ownMape(twitter, p) }])),
  };
  console.log(`predictor scale invariance: ${JSON.stringify(scaleInvariance)}`);

  const generatedTrace = generateTrainingTrace({ seed: SEED });
  const generated = scoreTrace(
    {
      kind: "generated",
      label: "generated",
      rps: generatedTrace.rps,
      splitBin: GENERATED_TRAIN_DAYS * DAY_BINS,
      windows: Object.fromEntries(IPA_PATTERNS.map((p) => [p, IPA_SEEDS.map((s) => generateIpaPattern(p, s))])),
      setup: { traceSeed: SEED, trainDays: GENERATED_TRAIN_DAYS, heldOutDays: generatedTrace.options.days - GENERATED_TRAIN_DAYS, ipaSeeds: IPA_SEEDS },
    },
    models,
    served.weights,
    retrain,
  );

  const verdict = (kind: string, s: ReturnType<typeof scoreTrace>["summary"]): string =>
    `${kind}: ${s.lstm} MAPE ${s.lstmMape} is ${s.lstmToBestBaselineRatio}× the best simple baseline (${s.bestBaseline}, ${s.bestBaselineMape}), target ≤ ${RATIO_TARGET}× ${s.ratioTargetMet ? "met" : "NOT met"}; ` +
    `under-prediction with margin ${s.lstmUnderPredictionRateWithMargin} (target ≤ ${UNDER_PREDICTION_TARGET}: ${s.underPredictionTargetMet ? "met" : "NOT met"}); ` +
    `on the replayed windows ${Object.entries(s.patterns)
      .map(([p, v]) => `${p} ${v.lstmToBestBaselineRatio}× ${v.bestBaseline}${v.ratioTargetMet ? " (met)" : ""}`)
      .join(", ")}.`;
  const note = `${verdict("twitter ÷ 8", twitter.summary)} ${verdict("twitter ÷ 1", twitterUndamped.summary)} ${verdict("generated", generated.summary)} The service's default model is ${served.file} (${served.name}); served-best replays the live predictor with it.`;
  console.log(`predictor note: ${note}`);
  return {
    setup: {
      binS: BIN_S,
      horizonS: HORIZON_BINS * BIN_S,
      margin: MARGIN,
      models: models.map((m) => ({ file: m.file, name: m.name, windowBins: m.weights.windowBins, hiddenSize: m.weights.hiddenSize, features: m.weights.features, normalization: m.weights.normalization })),
      servedModel: served.file,
    },
    twitter: withoutModel(twitter),
    twitterUndamped: withoutModel(twitterUndamped),
    scaleInvariance,
    generated: withoutModel(generated),
    note,
  };
}
