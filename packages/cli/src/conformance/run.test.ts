import { describe, expect, it } from "vitest";
import { ConformanceSetupError } from "./errors.js";
import { formatResult, formatSummary, runConformance } from "./run.js";
import type { ConformanceTarget } from "./types.js";

const target: ConformanceTarget = { pipeline: "p", stage: "s", instance: "i", natsUrl: "nats://127.0.0.1:1", timeoutMs: 500, drain: false };

describe("runConformance", () => {
  it("refuses names that are not subject tokens before connecting", async () => {
    await expect(runConformance({ ...target, instance: "i.>" })).rejects.toThrow(ConformanceSetupError);
    await expect(runConformance({ ...target, instance: "i.>" })).rejects.toThrow(/instance "i\.>" is not a valid NATS subject token/);
  });

  it("names the NATS URL it cannot reach", async () => {
    await expect(runConformance(target)).rejects.toThrow(/cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it("prints one line per clause and a verdict that counts failures only", () => {
    const pass = { id: "health", title: "t", status: "pass" as const, detail: "SERVING", ms: 3.4 };
    const skip = { id: "drain", title: "d", status: "skip" as const, detail: "opt-in", ms: 0 };
    expect(formatResult(pass)).toBe(`PASS ${"health".padEnd(20)} t (3 ms): SERVING`);
    expect(formatSummary({ target, results: [pass, skip], passed: true })).toBe("conformance of p.s.i (stage contract v1): CONFORMS (1 pass, 0 fail, 1 skip)");
    expect(formatSummary({ target, results: [pass, { ...pass, status: "fail" }], passed: false })).toMatch(/DOES NOT CONFORM \(1 pass, 1 fail, 0 skip\)$/);
  });
});
