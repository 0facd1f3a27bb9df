import { status } from "@grpc/grpc-js";
import { InvalidArgumentError, type ErrorKind } from "@fulcrum/core";
import type { control, inference } from "@fulcrum/proto";
import type { ReplicaInfo } from "../core/replica-choice.js";
import type { DeadlineParams } from "../core/deadline.js";
import type { WindowSnapshot } from "../core/window.js";

/** Registry entry → the router's replica view. */
export function toReplicaInfo(e: control.RegistryEntry): ReplicaInfo {
  return { instance: e.instance, stage: e.stage, address: e.address, variant: e.variant, state: e.state, heartbeatMs: e.heartbeatUnixMs };
}

/** A metrics window → the GatewayMetrics payload. */
export function toPbGatewayMetrics(pipeline: string, w: WindowSnapshot): control.GatewayMetrics {
  return {
    pipeline,
    windowStartUnixMs: Math.round(w.windowStartMs),
    windowMs: Math.round(w.windowMs),
    arrivals: w.arrivals,
    answeredInTime: w.answeredInTime,
    late: w.late,
    rejected: w.rejected,
    failed: w.failed,
    latencyP50Ms: w.latencyP50Ms,
    latencyP95Ms: w.latencyP95Ms,
    latencyP99Ms: w.latencyP99Ms,
    budgetP10Ms: w.budgetP10Ms,
    budgetP50Ms: w.budgetP50Ms,
    meanAccuracy: w.meanAccuracy,
  };
}

function numberParam(field: string, p: inference.InferParameter | undefined): number | undefined {
  const c = p?.parameterChoice;
  if (!c) return undefined;
  if (c.$case === "int64Param" || c.$case === "doubleParam" || c.$case === "uint64Param") return Number(c.value);
  if (c.$case === "stringParam" && c.value.trim() !== "" && Number.isFinite(Number(c.value))) return Number(c.value);
  throw new InvalidArgumentError(field, `expected a number, got ${c.$case} ${JSON.stringify(c.value)}`);
}

/** The Fulcrum request parameters the gateway reads; INVALID_ARGUMENT naming a malformed one. */
export function readRequestParams(req: inference.ModelInferRequest): DeadlineParams & { requestId: string } {
  const p = req.parameters ?? {};
  const sloMs = numberParam("parameters.slo_ms", p.slo_ms);
  const deadlineUnixMs = numberParam("parameters.deadline_unix_ms", p.deadline_unix_ms);
  const rid = p.request_id?.parameterChoice;
  if (rid && rid.$case !== "stringParam") throw new InvalidArgumentError("parameters.request_id", `expected a string, got ${rid.$case}`);
  return { ...(sloMs !== undefined ? { sloMs } : {}), ...(deadlineUnixMs !== undefined ? { deadlineUnixMs } : {}), requestId: rid?.value ?? req.id };
}

const KIND_OF_STATUS: Partial<Record<status, ErrorKind>> = {
  [status.INVALID_ARGUMENT]: "invalid-argument",
  [status.NOT_FOUND]: "not-found",
  [status.DEADLINE_EXCEEDED]: "deadline-exceeded",
  [status.RESOURCE_EXHAUSTED]: "resource-exhausted",
  [status.UNAVAILABLE]: "unavailable",
  [status.FAILED_PRECONDITION]: "failed-precondition",
};

/** The error kind a stage's gRPC status is passed on as (anything unexpected: internal). */
export function kindOfStatus(code: number): ErrorKind {
  return KIND_OF_STATUS[code as status] ?? "internal";
}

/** Request-level fate of a gRPC status: rejected with a reason the client can act on, or failed. */
export function fateOfStatus(code: number): "rejected" | "failed" {
  return KIND_OF_STATUS[code as status] !== undefined ? "rejected" : "failed";
}

/** OIP parameter builders. */
export const param = {
  int: (v: number): inference.InferParameter => ({ parameterChoice: { $case: "int64Param", value: Math.round(v) } }),
  double: (v: number): inference.InferParameter => ({ parameterChoice: { $case: "doubleParam", value: v } }),
  str: (v: string): inference.InferParameter => ({ parameterChoice: { $case: "stringParam", value: v } }),
};
