import { ConfigError } from "@fulcrum/runtime";
import { describe, expect, it } from "vitest";
import { loadLoadgenConfig } from "./config.js";

describe("loadLoadgenConfig", () => {
  it("reads a constant-rate run from the environment", () => {
    const c = loadLoadgenConfig({ FULCRUM_LOADGEN_PIPELINE: "fashion", FULCRUM_LOADGEN_RATE_RPS: "20", FULCRUM_LOADGEN_INPUT_SHAPE: "[3,8,8]", FULCRUM_LOADGEN_TARGET: "localhost:9001" });
    expect(c).toMatchObject({ pipeline: "fashion", rateRps: 20, inputShape: [3, 8, 8], target: "localhost:9001", durationS: 10, sloMs: 200 });
  });

  it("takes UINT8 inputs and refuses a datatype it cannot send, naming it", () => {
    expect(loadLoadgenConfig({ FULCRUM_LOADGEN_PIPELINE: "p", FULCRUM_LOADGEN_RATE_RPS: "1", FULCRUM_LOADGEN_INPUT_DATATYPE: "UINT8" }).inputDatatype).toBe("UINT8");
    expect(loadLoadgenConfig({ FULCRUM_LOADGEN_PIPELINE: "p", FULCRUM_LOADGEN_RATE_RPS: "1" }).inputDatatype).toBe("FP32");
    expect(() => loadLoadgenConfig({ FULCRUM_LOADGEN_PIPELINE: "p", FULCRUM_LOADGEN_RATE_RPS: "1", FULCRUM_LOADGEN_INPUT_DATATYPE: "INT64" })).toThrow(/inputDatatype/);
  });

  it("refuses a non-loopback target, several trace sources and a half SLO range, listing every problem", () => {
    let err: unknown;
    try {
      loadLoadgenConfig({ FULCRUM_LOADGEN_PIPELINE: "p", FULCRUM_LOADGEN_TARGET: "10.0.0.5:8001", FULCRUM_LOADGEN_RATE_RPS: "1", FULCRUM_LOADGEN_PATTERN: "bursty", FULCRUM_LOADGEN_SLO_MIN_MS: "5" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('only loopback targets are allowed (127.0.0.1, localhost, ::1), got "10.0.0.5"');
    expect(msg).toContain("give exactly one trace source: rateRps, steps, pattern or traceFile");
    expect(msg).toContain("give both sloMinMs and sloMaxMs, or neither");
  });
});
