import { compilePredictorConfig } from "@fulcrum/core/forecast";
import { describe, expect, it } from "vitest";
import { budgetSummary, ControlLoop, type LoadSecond } from "./control-loop.js";
import { NO_SOLVER, scenarioOf } from "./testing/fixtures.js";

const FIT = { gammaMs: 0, deltaMs: 5, epsilonMs: 0, etaMs: 5 };

describe("ControlLoop", () => {
  it("forecasts on the predictor's own cadence and decides from the latest forecast", async () => {
    const sc = scenarioOf({ m: FIT }, {
      policy: { name: "static", config: {} },
      control: { intervalMs: 25_000, firstDecisionMs: 25_000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({ serve: "last-value" }), value: "point", marginFraction: 0.1, tickMs: 10_000 } },
    });
    const loop = new ControlLoop(sc, NO_SOLVER, undefined);
    loop.setInitial(sc.initial as never);
    // 10 s bins: 0–9 s peak 5, 10–19 s peak 8, 20–24 s peak 2.
    const load: LoadSecond[] = Array.from({ length: 25 }, (_, s) => ({ arrivals: s < 10 ? 5 : s < 20 ? 8 : 2 }));
    const d = await loop.decide(25_000, load);
    // Ticks at 10 s (no closed bin yet) and 20 s (bin 0 closed: 5); none at 25 s.
    expect(d.forecast).toEqual({ atMs: 20_000, model: "last-value" });
    expect(d.forecastRps).toBeCloseTo(5 * 1.1, 12);
    expect(d.status).toBe("optimal");
    const none = await new ControlLoop(sc, NO_SOLVER, undefined).decide(9_000, load);
    expect(none.status).toBe("kept:no-forecast");
  });

  it("reads the tightest budgets of the window: the smallest per-second p10 and median", () => {
    const load: LoadSecond[] = [{ arrivals: 1, budgetP10Ms: 300, budgetP50Ms: 800 }, { arrivals: 1, budgetP10Ms: 500, budgetP50Ms: 600 }, { arrivals: 0 }];
    expect(budgetSummary(load, 3, 10)).toEqual({ quantilesMs: [{ q: 0.1, valueMs: 300 }, { q: 0.5, valueMs: 600 }] });
    expect(budgetSummary(load, 3, 1)).toBeUndefined();
    expect(budgetSummary([{ arrivals: 3 }], 1, 10)).toBeUndefined();
  });
});
