import { InvalidArgumentError } from "../errors/index.js";

/**
 * An OIP parameter's value once unwrapped from its wire type (`int64_param`, `uint64_param` and
 * `double_param` → number, `string_param` → string, `bool_param` → boolean).
 */
export type OipParamValue = string | number | boolean;

/** Names of the OIP parameters Fulcrum reads and writes (docs/architecture.md#oip-parameters). */
export const OIP_PARAM = {
  /** Request: latency budget from arrival, ms (Sponge's per-request dynamic SLO). */
  sloMs: "slo_ms",
  /** Request: absolute deadline, Unix ms; wins over `slo_ms`. */
  deadlineUnixMs: "deadline_unix_ms",
  /** Request (echoed in the response): the caller's correlation id. */
  requestId: "request_id",
  /** Response: variant(s) that answered (a stage: its variant; the gateway: `stage=variant,…`). */
  variant: "variant",
  /** Stage response: time the request waited in the stage's queue, ms. */
  queueMs: "queue_ms",
  /** Stage response: arrival at the stage → answer, ms. */
  stageLatencyMs: "stage_latency_ms",
  /** Stage response: size of the batch the request ran in. */
  batchSize: "batch_size",
  /** Stage response: `session.run` time of that batch on the inference thread, ms (the rest of `stage_latency_ms` is queueing, hand-offs and copies). */
  sessionRunMs: "session_run_ms",
  /** Gateway response: arrival at the gateway → answer, ms. */
  latencyMs: "latency_ms",
  /** Gateway response: the answer's pipeline accuracy (product over its variants), when known. */
  accuracy: "accuracy",
} as const;

/** The request parameters Fulcrum understands, validated. */
export interface FulcrumRequestParams {
  /** Budget from arrival, ms (> 0, finite). */
  readonly sloMs?: number;
  /** Absolute deadline, Unix ms (> 0, finite). A past deadline is valid: it is answered DEADLINE_EXCEEDED. */
  readonly deadlineUnixMs?: number;
  /** Correlation id. */
  readonly requestId?: string;
}

/** Unwrapped parameters by name (absent names are undefined). */
export type OipParamLookup = (name: string) => OipParamValue | undefined;

/**
 * A number parameter: numbers must be finite; a string is accepted when it spells a finite number
 * (clients that only send strings, as some REST clients do); a boolean is refused.
 */
function numberParam(name: string, v: OipParamValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`parameters.${name}`, `must be a finite number, got ${v}`);
    return v;
  }
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new InvalidArgumentError(`parameters.${name}`, `must be a number, got ${typeof v} ${JSON.stringify(v)}`);
}

/**
 * Reads and validates `slo_ms`, `deadline_unix_ms` and `request_id`: the one validation policy of
 * the gateway, the stage and the simulator. Throws {@link InvalidArgumentError} naming the
 * parameter: `slo_ms` must be > 0, `deadline_unix_ms` a positive Unix time, `request_id` a string.
 */
export function readRequestParams(get: OipParamLookup): FulcrumRequestParams {
  const sloMs = numberParam(OIP_PARAM.sloMs, get(OIP_PARAM.sloMs));
  if (sloMs !== undefined && !(sloMs > 0)) throw new InvalidArgumentError(`parameters.${OIP_PARAM.sloMs}`, `must be > 0 ms, got ${sloMs}`);
  const deadlineUnixMs = numberParam(OIP_PARAM.deadlineUnixMs, get(OIP_PARAM.deadlineUnixMs));
  if (deadlineUnixMs !== undefined && !(deadlineUnixMs > 0)) {
    throw new InvalidArgumentError(`parameters.${OIP_PARAM.deadlineUnixMs}`, `must be a positive Unix time in ms, got ${deadlineUnixMs}`);
  }
  const rid = get(OIP_PARAM.requestId);
  if (rid !== undefined && typeof rid !== "string") throw new InvalidArgumentError(`parameters.${OIP_PARAM.requestId}`, `must be a string, got ${typeof rid} ${JSON.stringify(rid)}`);
  return { ...(sloMs !== undefined ? { sloMs } : {}), ...(deadlineUnixMs !== undefined ? { deadlineUnixMs } : {}), ...(rid !== undefined ? { requestId: rid } : {}) };
}
