import type { LstmFeature, LstmWindow } from "@fulcrum/core/forecast";
import { lstmInput } from "@fulcrum/core/forecast";
import * as ort from "onnxruntime-node";
import { LstmOnnxError } from "./errors.js";
import { LSTM_ONNX_INPUT, LSTM_ONNX_OUTPUT } from "./lstm-onnx-export.js";

/** Runs an exported LSTM forecaster in ONNX Runtime. */
export interface LstmOnnxRunner {
  /** Steps of history each window must have. */
  readonly windowBins: number;
  /** Per-bin inputs the model reads, in order. */
  readonly features: readonly LstmFeature[];
  /**
   * Forecast peak RPS for each window (oldest bin first; longer series use their last
   * `windowBins`), unclamped, as `lstmForward` computes.
   * NOTE: session.run is synchronous native work wrapped in a promise; this model is tiny (≈0.1 ms),
   * so the service may call it on the event loop.
   */
  predict(windows: readonly LstmWindow[]): Promise<number[]>;
  /** Releases the session. Idempotent. */
  dispose(): Promise<void>;
}

/** Session options shared by Fulcrum's small models: one thread, no spinning on a shared CPU. */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  interOpNumThreads: 1,
  intraOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: "0" } } },
};

/**
 * Loads an exported LSTM (bytes from `exportLstmToOnnx`, or a file path) into ONNX Runtime.
 * @param shape the window and features the model was exported with (its `LstmWeights`)
 */
export async function createLstmOnnxRunner(
  model: Uint8Array | string,
  shape: { windowBins: number; features: readonly LstmFeature[] },
): Promise<LstmOnnxRunner> {
  const { windowBins, features } = shape;
  const stepValues = windowBins * features.length;
  let session: ort.InferenceSession | undefined;
  try {
    session = typeof model === "string" ? await ort.InferenceSession.create(model, SESSION_OPTIONS) : await ort.InferenceSession.create(model, SESSION_OPTIONS);
  } catch (cause) {
    throw new LstmOnnxError("load", `could not create a session: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return {
    windowBins,
    features,
    async predict(windows) {
      if (!session) throw new LstmOnnxError("run", "runner was disposed");
      if (windows.length === 0) return [];
      const data = new Float32Array(windows.length * stepValues);
      windows.forEach((w, n) => {
        try {
          data.set(lstmInput(features, windowBins, w), n * stepValues);
        } catch (cause) {
          throw new LstmOnnxError("run", `window ${n}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        }
      });
      const feeds = { [LSTM_ONNX_INPUT]: new ort.Tensor("float32", data, [windows.length, windowBins, features.length]) };
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(feeds);
      } catch (cause) {
        throw new LstmOnnxError("run", cause instanceof Error ? cause.message : String(cause), { cause });
      }
      const tensor = out[LSTM_ONNX_OUTPUT];
      if (!tensor) throw new LstmOnnxError("run", `model has no "${LSTM_ONNX_OUTPUT}" output`);
      return Array.from(tensor.data as Float32Array);
    },
    async dispose() {
      const s = session;
      session = undefined;
      await s?.release();
    },
  };
}
