import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors/index.js";
import { Samples } from "./samples.js";

describe("Samples", () => {
  it("keeps every sample across growth and sorts a copy", () => {
    const s = new Samples(1);
    const xs = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) - 500.25);
    for (const x of xs) s.push(x);
    expect(s.length).toBe(1000);
    expect(s.sorted()).toEqual([...xs].sort((a, b) => a - b));
    // Sorting left the buffer alone: later samples go after the earlier ones, and a second sort sees them all.
    s.push(-1e9);
    expect(s.sorted()[0]).toBe(-1e9);
    expect(s.sorted()).toHaveLength(1001);
    expect([...s.view()]).toEqual([...xs, -1e9]);
  });

  it("sorts numerically, not as strings", () => {
    const s = new Samples();
    for (const x of [10, 9, 100, 1.5, -2]) s.push(x);
    expect(s.sorted()).toEqual([-2, 1.5, 9, 10, 100]);
    expect(new Samples().sorted()).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses an initial capacity of %d", (c) => {
    expect(() => new Samples(c)).toThrow(InvalidArgumentError);
  });
});
