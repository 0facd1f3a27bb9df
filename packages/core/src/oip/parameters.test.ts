import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors/index.js";
import { readRequestParams, type OipParamValue } from "./parameters.js";

const read = (p: Record<string, OipParamValue>) => readRequestParams((n) => p[n]);

describe("readRequestParams", () => {
  it("reads numbers from numbers and from numeric strings, and the request id", () => {
    expect(read({ slo_ms: 250, deadline_unix_ms: 1_700_000_000_000, request_id: "r1" })).toEqual({ sloMs: 250, deadlineUnixMs: 1_700_000_000_000, requestId: "r1" });
    expect(read({ slo_ms: " 12.5 " })).toEqual({ sloMs: 12.5 });
    expect(read({})).toEqual({});
  });

  it.each([
    [{ slo_ms: 0 }, "parameters.slo_ms: must be > 0 ms, got 0"],
    [{ slo_ms: -5 }, "parameters.slo_ms: must be > 0 ms, got -5"],
    [{ slo_ms: Number.POSITIVE_INFINITY }, "parameters.slo_ms: must be a finite number, got Infinity"],
    [{ slo_ms: Number.NaN }, "parameters.slo_ms: must be a finite number, got NaN"],
    [{ slo_ms: "soon" }, 'parameters.slo_ms: must be a number, got string "soon"'],
    [{ slo_ms: true }, "parameters.slo_ms: must be a number, got boolean true"],
    [{ deadline_unix_ms: -1 }, "parameters.deadline_unix_ms: must be a positive Unix time in ms, got -1"],
    [{ request_id: 7 }, "parameters.request_id: must be a string, got number 7"],
  ])("refuses %o naming the parameter", (params, message) => {
    const err = (() => {
      try {
        read(params);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(message);
  });
});
