import { describe, expect, it } from "vitest";
import { SimInvariantError } from "./errors.js";
import { Ledger } from "./ledger.js";
import { SimRequest } from "./request.js";

describe("Ledger", () => {
  it("counts every fate by arrival second and balances", () => {
    const l = new Ledger();
    const reqs = [new SimRequest(0, 10, 110), new SimRequest(1, 20, 120), new SimRequest(2, 1500, 1600), new SimRequest(3, 1600, 1700), new SimRequest(4, 2100, 2200)];
    for (const r of reqs) l.arrive(r);
    expect(() => l.check(0)).toThrow(SimInvariantError);
    l.check(5);
    l.answered(reqs[0]!, 100);
    l.answered(reqs[1]!, 121);
    l.dropped(reqs[2]!);
    l.rejected(reqs[3]!);
    l.unavailable(reqs[4]!);
    l.check(0);
    expect(l.counts()).toEqual({ arrivals: 5, inTime: 1, late: 1, dropped: 1, rejected: 1, unavailable: 1 });
    expect(l.fatePerSecond("inTime", 3)).toEqual([1, 0, 0]);
    expect(l.fatePerSecond("late", 3)).toEqual([1, 0, 0]);
    expect(l.fatePerSecond("dropped", 3)).toEqual([0, 1, 0]);
    expect([...l.latenciesMs]).toEqual([90, 101]);
  });

  it("refuses to balance when a request is counted twice or lost", () => {
    const l = new Ledger();
    const r = new SimRequest(0, 0, 10);
    l.arrive(r);
    l.dropped(r);
    l.dropped(r);
    expect(() => l.check(0)).toThrow(/does not balance/);
    const m = new Ledger();
    m.arrive(r);
    expect(() => m.check(0)).toThrow(/1 arrivals ≠ 0 in time/);
  });
});
