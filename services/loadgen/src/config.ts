import { IPA_PATTERNS } from "@fulcrum/core/workload";
import { GRPC_TLS_CLIENT_ENV_ALIASES, grpcTlsClientShape, loadConfig } from "@fulcrum/runtime";
import { z } from "zod";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** `host:port` whose host is a loopback name or address. */
function loopbackHost(target: string): string | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
  return m ? m[1] : undefined;
}

/**
 * Load generator configuration. Env: `FULCRUM_LOADGEN_<KEY>` (e.g. `FULCRUM_LOADGEN_RATE_RPS`;
 * arrays as JSON), `LOG_LEVEL`, or a YAML file at `FULCRUM_LOADGEN_CONFIG`. Exactly one trace source:
 * `rateRps` (+ `durationS`), `steps`, `pattern` or `traceFile`.
 */
export const loadgenConfigSchema = z
  .object({
    /** Gateway OIP gRPC address, `host:port`; loopback only (this tool never loads a remote host). @default 127.0.0.1:8001 */
    target: z.string().default("127.0.0.1:8001"),
    /** CA the gateway's certificate is verified with: `GRPC_TLS_CA_FILE` (absent: plaintext). */
    ...grpcTlsClientShape,
    /** Pipeline (OIP model name) to call. */
    pipeline: z.string().regex(/^[A-Za-z0-9_-]+$/, "use only letters, digits, '_' and '-'"),
    /** Name of the input tensor. @default input */
    inputName: z.string().min(1).default("input"),
    /**
     * OIP datatype of the input: `FP32` (every value 0.5) or `UINT8` (seeded noise bytes, e.g. an
     * RGB image `[H, W, 3]` for a preprocessing stage). @default FP32
     */
    inputDatatype: z.enum(["FP32", "UINT8"]).default("FP32"),
    /** Input shape without the batch dimension. @default [1, 28, 28] (fashion) */
    inputShape: z.array(z.number().int().positive()).min(1).default([1, 28, 28]),
    /** Constant rate, requests per second (with `durationS`). */
    rateRps: z.coerce.number().min(0).optional(),
    /** Duration of a constant-rate run, s. @default 10 */
    durationS: z.coerce.number().positive().default(10),
    /** Piecewise-constant profile: `[{ rps, durationS }, …]`. */
    steps: z.array(z.object({ rps: z.number().min(0), durationS: z.number().positive() }).strict()).min(1).optional(),
    /** One of IPA's seeded 20-minute patterns (`bursty`, `steady-low`, `steady-high`, `fluctuating`). */
    pattern: z.enum(IPA_PATTERNS).optional(),
    /** CSV of per-second rates (`<time>,<count>` or bare counts; see `parseRateCsv`). */
    traceFile: z.string().min(1).optional(),
    /** Multiplier of `pattern` and `traceFile` rates. @default 1 */
    rateScale: z.coerce.number().positive().default(1),
    /** Per-request SLO, ms (sent as `slo_ms`). Ignored when `sloMinMs`/`sloMaxMs` are set. @default 200 */
    sloMs: z.coerce.number().positive().default(200),
    /** Lower end of uniformly drawn per-request SLOs, ms (with `sloMaxMs`). */
    sloMinMs: z.coerce.number().positive().optional(),
    /** Upper end of uniformly drawn per-request SLOs, ms (with `sloMinMs`). */
    sloMaxMs: z.coerce.number().positive().optional(),
    /** Seed of arrivals, SLO draws and the IPA pattern. @default 1 */
    seed: z.coerce.number().int().default(1),
    /** Longest run, s: the trace is cut there. @default 3600 */
    maxDurationS: z.coerce.number().positive().default(3600),
    /** Most requests planned. @default 100000 */
    maxRequests: z.coerce.number().int().positive().default(100_000),
    /** Most requests in flight; a planned request beyond it is not sent (counted not-sent, `in-flight-bound`). @default 2000 */
    maxInFlight: z.coerce.number().int().positive().default(2000),
    /**
     * Furthest the sender may fall behind the plan, ms: a request whose planned time passed longer
     * ago than this is not sent (counted not-sent, `behind-schedule`), so a client that cannot keep
     * up is reported instead of compressing the arrival process into bursts. @default 1000
     */
    maxSendLagMs: z.coerce.number().min(0).default(1000),
    /**
     * How long the run waits for its channel to connect before the schedule starts, ms; past it the
     * schedule starts anyway (its calls then fail and are counted). Connecting first keeps a
     * connection's setup out of the first requests' latency. @default 10000
     */
    connectTimeoutMs: z.coerce.number().int().min(0).default(10_000),
    /** How long past its SLO the client waits for an answer before giving up (DEADLINE_EXCEEDED), ms. @default 2000 */
    graceMs: z.coerce.number().int().min(0).default(2000),
    /** Summary JSON written at the end (optional). */
    reportFile: z.string().min(1).optional(),
    /** One JSON line per request (optional). */
    recordsFile: z.string().min(1).optional(),
    /** pino level. @default info */
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  })
  .superRefine((c, ctx) => {
    const host = loopbackHost(c.target);
    if (host === undefined) ctx.addIssue({ code: "custom", path: ["target"], message: `expected host:port, got "${c.target}"` });
    else if (!LOOPBACK.has(host)) ctx.addIssue({ code: "custom", path: ["target"], message: `only loopback targets are allowed (127.0.0.1, localhost, ::1), got "${host}"` });
    const sources = [c.rateRps !== undefined, c.steps !== undefined, c.pattern !== undefined, c.traceFile !== undefined].filter(Boolean).length;
    if (sources !== 1) ctx.addIssue({ code: "custom", path: ["rateRps"], message: "give exactly one trace source: rateRps, steps, pattern or traceFile" });
    if ((c.sloMinMs === undefined) !== (c.sloMaxMs === undefined)) ctx.addIssue({ code: "custom", path: ["sloMinMs"], message: "give both sloMinMs and sloMaxMs, or neither" });
    if (c.sloMinMs !== undefined && c.sloMaxMs !== undefined && c.sloMinMs > c.sloMaxMs) ctx.addIssue({ code: "custom", path: ["sloMinMs"], message: `must be ≤ sloMaxMs (${c.sloMaxMs})` });
  });

/** A validated, frozen load generator configuration. */
export type LoadgenConfig = Readonly<z.output<typeof loadgenConfigSchema>>;

/** Loads the load generator configuration from `env`; throws `ConfigError` listing every problem. */
export function loadLoadgenConfig(env: Readonly<Record<string, string | undefined>>): LoadgenConfig {
  return loadConfig(loadgenConfigSchema, { service: "loadgen", env, envPrefix: "FULCRUM_LOADGEN_", aliases: { ...GRPC_TLS_CLIENT_ENV_ALIASES, LOG_LEVEL: "logLevel" } });
}
