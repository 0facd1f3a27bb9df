import { fileURLToPath } from "node:url";
import { checkNatsConfig, envBoolean, loadConfig, messageLimitsShape, NATS_ENV_ALIASES, natsConfigShape } from "@fulcrum/runtime";
import { z } from "zod";

const name = z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'");

/** The LSTM committed with the service (trained by `fulcrum predictor train`). */
export const DEFAULT_LSTM_FILE = fileURLToPath(new URL("../models/lstm-default.json", import.meta.url));

/**
 * Configuration of the predictor service. Env: `FULCRUM_PREDICTOR_<KEY>`, `NATS_URL`, or a YAML
 * file at `FULCRUM_PREDICTOR_CONFIG`.
 */
export const predictorConfigSchema = z.object({
  /** Pipeline whose load is forecast. */
  pipeline: name,
  /** How often a Forecast is published, ms. @default 10000 (IPA's interval) */
  intervalMs: z.coerce.number().int().min(100).default(10_000),
  /** Seconds per history bin (each keeps the peak per-second load). @default 10 */
  binS: z.coerce.number().int().min(1).default(10),
  /** Span the forecast peak covers, s. @default 20 */
  horizonS: z.coerce.number().int().min(1).default(20),
  /** Season of the seasonal-naive forecaster, s (e.g. 86400); off when absent. */
  seasonS: z.coerce.number().int().min(1).optional(),
  /** Trained LSTM weights (JSON); the ONNX export beside it (`.onnx`) runs in onnxruntime. Empty: no LSTM. @default the committed model */
  lstmFile: z.string().default(DEFAULT_LSTM_FILE),
  /** Run the LSTM in onnxruntime (else its TypeScript forward pass; same numbers within 1e-4). @default true */
  lstmOnnx: envBoolean().default(true),
  /** `best` serves the forecaster with the lowest rolling error; or name one (`lstm`, `ewma`, `holt`, …). @default best */
  serve: z.string().default("best"),
  /** Largest share of intervals whose actual peak may exceed the published upper bound. @default 0.1 */
  underPredictionRate: z.coerce.number().gt(0).lt(1).default(0.1),
  /** NATS server, user (`predictor` in `infra/nats.conf`) and TLS: `NATS_URL`, `NATS_USER`, `NATS_PASSWORD`, `NATS_TLS_*`. */
  ...natsConfigShape,
  /** Bounds of the load samples it accepts: `maxRps` and `maxClockSkewMs` (a sample from the future would close every bin). */
  ...messageLimitsShape,
  /** Prometheus `/metrics` port; 0 picks a free one. @default 0 */
  metricsPort: z.coerce.number().int().min(0).max(65535).default(0),
  /** Bind host of `/metrics`. @default 127.0.0.1 */
  metricsHost: z.string().default("127.0.0.1"),
  /** pino level. @default info */
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
}).superRefine(checkNatsConfig);

/** A validated, frozen predictor configuration. */
export type PredictorServiceConfig = Readonly<z.infer<typeof predictorConfigSchema>>;

/** Loads the predictor configuration from `env`; throws `ConfigError` listing every problem. */
export function loadPredictorConfig(env: Readonly<Record<string, string | undefined>>): PredictorServiceConfig {
  return loadConfig(predictorConfigSchema, {
    service: "predictor",
    env,
    envPrefix: "FULCRUM_PREDICTOR_",
    aliases: { ...NATS_ENV_ALIASES, LOG_LEVEL: "logLevel" },
  });
}
