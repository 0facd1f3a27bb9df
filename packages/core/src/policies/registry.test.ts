import { describe, expect, it } from "vitest";
import { POLICIES } from "./registry.js";

describe("POLICIES", () => {
  it.each(Object.values(POLICIES).map((p) => [p.name, p] as const))("%s declares pricesActuation exactly when its config has the actuation costs", (_name, p) => {
    const defaults = p.configSchema.parse({}) as Record<string, unknown>;
    const hasCosts = "replicaStartMs" in defaults && "inPlaceChangeMs" in defaults;
    expect(p.pricesActuation).toBe(hasCosts);
  });
});
