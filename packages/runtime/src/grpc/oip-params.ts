import { readRequestParams, type FulcrumRequestParams, type OipParamValue } from "@fulcrum/core/oip";
import type { inference } from "@fulcrum/proto";

/** OIP parameters by name, as protobuf carries them. */
export type OipParams = Readonly<Record<string, inference.InferParameter>>;

/**
 * Builders of OIP parameters, one per wire type. `int` rounds (int64 carries no fraction, and a
 * deadline computed from a sub-ms clock must not be refused).
 */
export const oipParam = {
  int: (v: number): inference.InferParameter => ({ parameterChoice: { $case: "int64Param", value: Math.round(v) } }),
  double: (v: number): inference.InferParameter => ({ parameterChoice: { $case: "doubleParam", value: v } }),
  str: (v: string): inference.InferParameter => ({ parameterChoice: { $case: "stringParam", value: v } }),
  bool: (v: boolean): inference.InferParameter => ({ parameterChoice: { $case: "boolParam", value: v } }),
};

/** The value of an OIP parameter, whatever its wire type (undefined when absent). */
export function oipParamValue(p: inference.InferParameter | undefined): OipParamValue | undefined {
  return p?.parameterChoice?.value;
}

/**
 * Fulcrum's request parameters (`slo_ms`, `deadline_unix_ms`, `request_id`) of an OIP request,
 * validated by the one policy in `@fulcrum/core/oip`: throws `InvalidArgumentError` naming the
 * parameter.
 */
export function readFulcrumParams(params: OipParams | undefined): FulcrumRequestParams {
  return readRequestParams((name) => oipParamValue(params?.[name]));
}
