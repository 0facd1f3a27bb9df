/**
 * `npm run bench -- predictor [--retrain]`: forecast quality of every forecaster (MAPE of the
 * next-20-s peak; under-prediction rate of the upper bound = point + conformal margin) on the
 * held-out days of the generated 21-day training trace and on IPA's four 20-minute patterns.
 *
 * By default it scores the committed LSTM (`services/predictor/models/lstm-default.json`, trained by
 * `fulcrum predictor train --trace generated --seed 7` on days 0–13 of the same trace); `--retrain`
 * trains a quick one here instead (3 epochs, stride 4: about a minute) and reports its training time.
 * It always trains IPA's exact input setup too (10-s peaks only, "lstm-peaks-only", 3 epochs,
 * stride 4) so the effect of also feeding bin means is visible.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Forecast, Forecaster, ForecastScore, LstmWeights } from "@fulcrum/core/forecast";
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
import { generateIpaPattern, generateTrainingTrace, IPA_PATTERNS } from "@fulcrum/core/workload";

const DAY_S = 86_400;
const BIN_S = 10;
const HORIZON_BINS = 2;
const DAY_BINS = DAY_S / BIN_S;
const MARGIN = compileMarginOptions({ underPredictionRate: 0.05 });
const IPA_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const BASELINES = ["last-value", "moving-max", "ewma", "holt", "seasonal-naive"];

const round = (v: number): number => Math.round(v * 10_000) / 10_000;
const brief = (s: ForecastScore) => ({
  mape: round(s.mape),
  underPredictionRate: round(s.underPredictionRate),
  pointUnderPredictionRate: round(s.pointUnderPredictionRate),
  meanMarginFraction: round(s.meanMarginFraction),
  intervals: s.intervals,
});

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

export default async function predictorBench(args: string[]): Promise<object> {
  const modelPath = fileURLToPath(new URL("../../services/predictor/models/lstm-default.json", import.meta.url));
  let weights = parseLstmWeights(JSON.parse(readFileSync(modelPath, "utf8")));
  const source = (weights.training?.source ?? {}) as { seed?: number; trainDays?: number };
  const seed = source.seed ?? 7;
  const trainDays = source.trainDays ?? 14;
  const trace = generateTrainingTrace({ seed });
  const peaks = binPeaks(trace.rps, BIN_S);
  const means = binMeans(trace.rps, BIN_S);
  const splitBin = trainDays * DAY_BINS;
  let training: Record<string, unknown> = { model: "services/predictor/models/lstm-default.json", ...weights.training };
  if (args.includes("--retrain")) {
    const t0 = performance.now();
    const data = makeWindows(peaks.slice(0, splitBin), weights.windowBins, HORIZON_BINS, 4, means.slice(0, splitBin));
    const result = trainLstm(data, {
      seed,
      epochs: 3,
      windowBins: weights.windowBins,
      horizonBins: HORIZON_BINS,
      binS: BIN_S,
      features: weights.features,
      normalization: weights.normalization.kind,
    });
    weights = result.weights;
    training = { model: "retrained in the bench (3 epochs, stride 4)", trainSeconds: round((performance.now() - t0) / 1000), ...result.weights.training };
  }

  const t1 = performance.now();
  const peaksOnly = trainLstm(makeWindows(peaks.slice(0, splitBin), 12, HORIZON_BINS, 4), {
    seed,
    epochs: 3,
    windowBins: 12,
    horizonBins: HORIZON_BINS,
    binS: BIN_S,
    features: ["peak"],
  }).weights;
  const peaksOnlyTrainSeconds = round((performance.now() - t1) / 1000);
  const peaksOnlyForecaster: Forecaster = { ...lstmForecaster(peaksOnly), name: "lstm-peaks-only" };

  const simple: Forecaster[] = [lastValueForecaster(), movingMaxForecaster(12), ewmaForecaster(10), holtForecaster()];
  const lstm = lstmForecaster(weights);
  const heldOutScores = evaluateForecasters(peaks, [...simple, seasonalNaiveForecaster(DAY_BINS), lstm, peaksOnlyForecaster], {
    horizonBins: HORIZON_BINS,
    fromBin: splitBin,
    historyBins: 64,
    margin: MARGIN,
    means,
  });
  const heldOut: Record<string, object> = Object.fromEntries(Object.entries(heldOutScores).map(([k, v]) => [k, brief(v)]));
  heldOut["served-best"] = scoreServed(trace.rps, peaks, splitBin, weights, (splitBin - DAY_BINS - 60) * BIN_S);

  const ipaPatterns: Record<string, Record<string, object>> = {};
  for (const pattern of IPA_PATTERNS) {
    const acc: Record<string, ForecastScore> = {};
    for (const s of IPA_SEEDS) {
      const rps = generateIpaPattern(pattern, s);
      const p = binPeaks(rps, BIN_S);
      const scores = evaluateForecasters(p, [...simple, lstm, peaksOnlyForecaster], {
        horizonBins: HORIZON_BINS,
        fromBin: weights.windowBins,
        historyBins: 64,
        margin: MARGIN,
        means: binMeans(rps, BIN_S),
      });
      for (const [name, score] of Object.entries(scores)) acc[name] = merge(acc[name], score);
    }
    ipaPatterns[pattern] = Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, brief(v)]));
  }

  const baselines = BASELINES.map((name) => ({ name, mape: heldOutScores[name]?.mape ?? Infinity }));
  const best = baselines.reduce((a, b) => (b.mape < a.mape ? b : a));
  const lstmScore = heldOutScores.lstm as ForecastScore;
  const ratio = lstmScore.mape / best.mape;
  const peaksOnlyRatio = (heldOutScores["lstm-peaks-only"] as ForecastScore).mape / best.mape;
  const summary = {
    lstmMape: round(lstmScore.mape),
    bestBaseline: best.name,
    bestBaselineMape: round(best.mape),
    lstmToBestBaselineRatio: round(ratio),
    ratioTarget: 0.85,
    ratioTargetMet: ratio <= 0.85,
    lstmPeaksOnlyToBestBaselineRatio: round(peaksOnlyRatio),
    lstmUnderPredictionRateWithMargin: round(lstmScore.underPredictionRate),
    underPredictionTarget: 0.1,
    underPredictionTargetMet: lstmScore.underPredictionRate <= 0.1,
    marginUnderPredictionRateConfigured: MARGIN.underPredictionRate,
  };
  const features = weights.features.join("+");
  const note =
    (ratio <= 0.85
      ? `LSTM (${features}) MAPE is ${summary.lstmToBestBaselineRatio}× the best simple baseline (${best.name}): target 0.85× met. `
      : `Target NOT met: LSTM (${features}) MAPE is ${summary.lstmToBestBaselineRatio}× the best simple baseline (${best.name}), above 0.85×. `) +
    `IPA's exact input (peaks only; trained here for 3 epochs at stride 4, the committed model had 10 at stride 1) reaches ${summary.lstmPeaksOnlyToBestBaselineRatio}×. ` +
    "Per-second noise bounds how well any forecaster can predict a 20-s peak; " +
    "the live predictor serves whichever forecaster has the lowest rolling error (served-best).";

  for (const [name, s] of Object.entries(heldOut)) console.log(`predictor heldOut ${name}: ${JSON.stringify(s)}`);
  for (const [pattern, scores] of Object.entries(ipaPatterns)) {
    for (const [name, s] of Object.entries(scores)) console.log(`predictor ipa ${pattern} ${name}: ${JSON.stringify(s)}`);
  }
  console.log(`predictor summary: ${JSON.stringify(summary)}`);
  console.log(`predictor note: ${note}`);
  return {
    setup: {
      traceSeed: seed,
      trainDays,
      heldOutDays: trace.options.days - trainDays,
      binS: BIN_S,
      horizonS: HORIZON_BINS * BIN_S,
      lstm: { windowBins: weights.windowBins, hiddenSize: weights.hiddenSize, features: weights.features, normalization: weights.normalization },
      margin: MARGIN,
      ipaSeeds: IPA_SEEDS,
    },
    training: { ...training, peaksOnly: { epochs: 3, strideBins: 4, trainSeconds: peaksOnlyTrainSeconds } },
    heldOut,
    ipaPatterns,
    summary,
    note,
  };
}
