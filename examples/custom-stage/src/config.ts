/**
 * Configuration from the environment, so a launcher can start this stage as a child process. The
 * keys shared with Fulcrum's own stage keep its names (`FULCRUM_STAGE_<KEY>`, `NATS_URL`), so one
 * launcher can start either kind; a bad or unknown key stops the process listing every problem.
 */
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";

/** Everything this stage reads at start-up. Durations in ms. */
export interface Config {
  readonly pipeline: string;
  readonly stage: string;
  /** Unique among the stage's replicas. @default `<host>-<pid>` */
  readonly instance: string;
  /** This replica's index among the stage's replicas (which variant an Assignment gives it). @default 0 */
  readonly replicaIndex: number;
  /** The one variant this stage serves. @default "bilinear" */
  readonly variant: string;
  /** @default "nats://127.0.0.1:4222" */
  readonly natsUrl: string;
  /** @default "127.0.0.1" */
  readonly grpcHost: string;
  /** 0 picks a free port. @default 0 */
  readonly grpcPort: number;
  /** Host published in the registry. @default grpcHost */
  readonly advertiseHost: string;
  /** Folder holding `inference/`, `fulcrum/v1/` and `grpc/health/v1/`. @default `<repo>/proto/protobuf` */
  readonly protoDir: string;
  /** Channels of the input image: 1 (grayscale) or 3 (RGB). @default 3 */
  readonly channels: 1 | 3;
  /** Side of the square output, px (the fashion classifier takes 28). @default 28 */
  readonly outputSize: number;
  /** Name of the output tensor (the next stage's input name). @default "input" */
  readonly outputName: string;
  /** Largest batch processed at once; an Assignment may change it. @default 8 */
  readonly batchSize: number;
  /** Cores reported until an Assignment sets them (the process is single-threaded). @default 1 */
  readonly cores: number;
  /** Queue bound; beyond it requests get RESOURCE_EXHAUSTED. @default 64 */
  readonly maxQueueSize: number;
  /** Deadline of requests without `deadline_unix_ms`/`slo_ms`. @default 1000 */
  readonly defaultSloMs: number;
  /** Largest request payload, bytes. @default 16 MiB */
  readonly maxRequestBytes: number;
  /** @default 2000 */
  readonly heartbeatMs: number;
  /** @default 1000 */
  readonly metricsIntervalMs: number;
  /** Longest time spent serving the queue on drain. @default 5000 */
  readonly shutdownGraceMs: number;
  /** Registry bucket max-age when this stage creates the bucket. @default 10000 */
  readonly registryTtlMs: number;
  /** Deliberate contract breach, for the conformance kit's own tests. @default "none" */
  readonly breakClause: "none" | "heartbeat" | "acks";
}

/** Thrown for every bad key at once. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

const PREFIX = "FULCRUM_STAGE_";
const TOKEN = /^[A-Za-z0-9_-]+$/;
const KNOWN = [
  "PIPELINE", "STAGE", "INSTANCE", "REPLICA_INDEX", "VARIANT", "GRPC_HOST", "GRPC_PORT", "ADVERTISE_HOST", "CHANNELS", "OUTPUT_SIZE",
  "OUTPUT_NAME", "BATCH_SIZE", "CORES", "MAX_QUEUE_SIZE", "DEFAULT_SLO_MS", "MAX_REQUEST_BYTES", "HEARTBEAT_MS", "METRICS_INTERVAL_MS",
  "SHUTDOWN_GRACE_MS", "REGISTRY_TTL_MS", "BREAK",
];

/** Reads and validates the configuration; throws {@link ConfigError} listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  for (const key of Object.keys(env)) {
    if (key.startsWith(PREFIX) && !KNOWN.includes(key.slice(PREFIX.length))) problems.push(`${key}: unknown key (known: ${KNOWN.map((k) => PREFIX + k).join(", ")})`);
  }
  const raw = (k: string): string | undefined => env[PREFIX + k];
  const name = (k: string, fallback?: string): string => {
    const v = raw(k) ?? fallback;
    if (v === undefined) problems.push(`${PREFIX}${k}: required`);
    else if (!TOKEN.test(v)) problems.push(`${PREFIX}${k}: "${v}" must match [A-Za-z0-9_-]+ (it is a NATS subject token)`);
    return v ?? "";
  };
  const int = (k: string, fallback: number, min: number): number => {
    const v = raw(k);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) problems.push(`${PREFIX}${k}: expected an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  const channels = int("CHANNELS", 3, 1);
  if (channels !== 1 && channels !== 3) problems.push(`${PREFIX}CHANNELS: expected 1 or 3, got ${channels}`);
  const breakClause = raw("BREAK") ?? "none";
  if (breakClause !== "none" && breakClause !== "heartbeat" && breakClause !== "acks") problems.push(`${PREFIX}BREAK: expected none, heartbeat or acks, got "${breakClause}"`);
  const grpcHost = raw("GRPC_HOST") ?? "127.0.0.1";
  const config: Config = {
    pipeline: name("PIPELINE"),
    stage: name("STAGE"),
    instance: name("INSTANCE", `${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}-${process.pid}`),
    replicaIndex: int("REPLICA_INDEX", 0, 0),
    variant: name("VARIANT", "bilinear"),
    natsUrl: env.NATS_URL ?? "nats://127.0.0.1:4222",
    grpcHost,
    grpcPort: int("GRPC_PORT", 0, 0),
    advertiseHost: raw("ADVERTISE_HOST") ?? grpcHost,
    protoDir: env.FULCRUM_PROTO_DIR ?? fileURLToPath(new URL("../../../proto/protobuf", import.meta.url)),
    channels: channels as 1 | 3,
    outputSize: int("OUTPUT_SIZE", 28, 1),
    outputName: name("OUTPUT_NAME", "input"),
    batchSize: int("BATCH_SIZE", 8, 1),
    cores: int("CORES", 1, 1),
    maxQueueSize: int("MAX_QUEUE_SIZE", 64, 1),
    defaultSloMs: int("DEFAULT_SLO_MS", 1000, 1),
    maxRequestBytes: int("MAX_REQUEST_BYTES", 16 * 1024 * 1024, 1),
    heartbeatMs: int("HEARTBEAT_MS", 2000, 100),
    metricsIntervalMs: int("METRICS_INTERVAL_MS", 1000, 100),
    shutdownGraceMs: int("SHUTDOWN_GRACE_MS", 5000, 0),
    registryTtlMs: int("REGISTRY_TTL_MS", 10_000, 1000),
    breakClause: breakClause as Config["breakClause"],
  };
  if (config.grpcPort > 65535) problems.push(`${PREFIX}GRPC_PORT: ${config.grpcPort} is not a port`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
