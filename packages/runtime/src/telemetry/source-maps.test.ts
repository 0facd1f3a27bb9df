import { describe, expect, it } from "vitest";
import { sourceMapsWanted } from "./source-maps.js";

describe("sourceMapsWanted", () => {
  it("is off unless FULCRUM_SOURCE_MAPS asks for it", () => {
    expect(sourceMapsWanted({})).toBe(false);
    expect(sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "false" })).toBe(false);
    expect(sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "0" })).toBe(false);
    expect(sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "true" })).toBe(true);
    expect(sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "TRUE" })).toBe(true);
    expect(sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "1" })).toBe(true);
  });

  it("refuses anything else, naming the variable and the value", () => {
    expect(() => sourceMapsWanted({ FULCRUM_SOURCE_MAPS: "yes please" })).toThrow(/FULCRUM_SOURCE_MAPS: must be true or false, got "yes please"/);
  });
});
