import { describe, expect, it } from "vitest";
import { LatencyCsvError } from "./errors.js";
import { parseLatencyCsv } from "./latency-csv.js";

describe("parseLatencyCsv", () => {
  it("reads the points with the published digits, in any column order, skipping blank lines", () => {
    expect(parseLatencyCsv("batch,cores,latency_ms\n1,1,45.993\n\n8,2,166.140\n")).toEqual([
      { batch: 1, cores: 1, latencyMs: 45.993 },
      { batch: 8, cores: 2, latencyMs: 166.14 },
    ]);
    expect(parseLatencyCsv("latency_ms, cores, batch\r\n12.5, 4, 2\r\n")).toEqual([{ batch: 2, cores: 4, latencyMs: 12.5 }]);
  });

  it.each([
    ["", "the text is empty"],
    ["batch,cores\n1,1", 'line 1: header must name exactly the columns batch, cores, latency_ms, got "batch,cores"'],
    ["batch,cores,latency_ms,p99\n1,1,2,3", "line 1: header must name exactly"],
    ["batch,cores,latency_ms\n1,1", "line 2: expected 3 cells, got 2"],
    ["batch,cores,latency_ms\n1,1,5\n0,1,5", 'line 3: batch "0" must be an integer ≥ 1'],
    ["batch,cores,latency_ms\n1,1.5,5", 'line 2: cores "1.5" must be an integer ≥ 1'],
    ["batch,cores,latency_ms\n1,1,", 'line 2: latency_ms "" must be a finite number > 0'],
    ["batch,cores,latency_ms\n1,1,-3", 'line 2: latency_ms "-3" must be a finite number > 0'],
    ["batch,cores,latency_ms\n1,1,abc", 'line 2: latency_ms "abc" must be a finite number > 0'],
    ["batch,cores,latency_ms\n2,4,5\n2,4,6", "line 3: batch 2 on 4 cores appears twice"],
    ["batch,cores,latency_ms\n", "the grid has no data rows"],
  ])("rejects %j naming the problem", (text, message) => {
    expect(() => parseLatencyCsv(text)).toThrow(LatencyCsvError);
    expect(() => parseLatencyCsv(text)).toThrow(message);
  });
});
