import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { tracesCommand } from "./traces.js";

describe("fulcrum traces", () => {
  it("receives OTLP/HTTP JSON spans, prints them and appends them as JSON lines", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "fulcrum-traces-")), "spans.jsonl");
    onTestFinished(() => rmSync(dirname(out), { recursive: true, force: true }));
    const lines: string[] = [];
    const run = tracesCommand({ out: (l) => void lines.push(l) }).parseAsync(["--port", "0", "--out", out, "--duration", "1.5"], { from: "user" });
    await expect.poll(() => lines[0]).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
    const port = Number(/:(\d+)\/v1/.exec(lines[0]!)![1]);
    const body = {
      resourceSpans: [{
        resource: { attributes: [{ key: "service.name", value: { stringValue: "fulcrum-stage" } }] },
        scopeSpans: [{ spans: [{ traceId: "ab".repeat(16), spanId: "cd".repeat(8), parentSpanId: "", name: "stage.inference", kind: 1, startTimeUnixNano: "1000000", endTimeUnixNano: "3500000" }] }],
      }],
    };
    const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    await run;
    expect(lines.some((l) => /^fulcrum-stage\s+internal stage\.inference 2\.50 ms trace=abababababababab parent=-$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe("stopped: 1 span(s) received");
    expect(JSON.parse(readFileSync(out, "utf8").trim())).toMatchObject({ service: "fulcrum-stage", name: "stage.inference", durationMs: 2.5 });
  });
});
