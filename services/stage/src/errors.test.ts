import { describe, expect, it } from "vitest";
import { DeadlineUnmeetableError } from "./errors.js";

describe("DeadlineUnmeetableError", () => {
  it("counts the safety margin in how late it says the request would be", () => {
    // A finish 1 ms before the deadline is late once the 2 ms margin is added: 1 ms late, not −1.
    const e = new DeadlineUnmeetableError("r-1", 1_000, 999, 2);
    expect(e.message).toBe("request r-1 dropped early: predicted finish 999 + 2 ms safety margin is after its deadline 1000 (1 ms late)");
    expect(e).toMatchObject({ code: "DEADLINE_UNMEETABLE", kind: "deadline-exceeded", predictedFinishUnixMs: 999, safetyMarginMs: 2 });
  });

  it("says nothing of a margin when there is none", () => {
    expect(new DeadlineUnmeetableError("r-2", 1_000, 1_030).message).toBe("request r-2 dropped early: predicted finish 1030 is after its deadline 1000 (30 ms late)");
  });
});
