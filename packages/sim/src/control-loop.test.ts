import { compilePredictorConfig } from "@fulcrum/core/forecast";
import { describe, expect, it } from "vitest";
import type { LoadSample } from "@fulcrum/core/control";
import { ControlLoop } from "./control-loop.js";
import { NO_SOLVER, scenarioOf } from "./testing/fixtures.js";

const FIT = { gammaMs: 0, deltaMs: 5, epsilonMs: 0, etaMs: 5 };

describe("ControlLoop", () => {
  it("forecasts on the predictor's own cadence and decides from the latest forecast", async () => {
    const sc = scenarioOf({ m: FIT }, {
      policy: { name: "static", config: {} },
      control: { intervalMs: 25_000, firstDecisionMs: 25_000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({ serve: "last-value" }), value: "point", marginFraction: 0.1, tickMs: 10_000, observedFloorMs: 0 } },
    });
    const loop = new ControlLoop(sc, NO_SOLVER, undefined);
    loop.setInitial(sc.initial as never);
    // 10 s bins: 0–9 s peak 5, 10–19 s peak 8, 20–24 s peak 2.
    const load = Array.from({ length: 25 }, (_, s) => sample(s, s < 10 ? 5 : s < 20 ? 8 : 2));
    const d = await loop.decide(25_000, load);
    // Ticks at 10 s (no closed bin yet) and 20 s (bin 0 closed: 5); none at 25 s.
    expect(d.forecast).toEqual({ atMs: 20_000, model: "last-value" });
    expect(d.forecastRps).toBeCloseTo(5 * 1.1, 12);
    expect(d.status).toBe("optimal");
    const none = await new ControlLoop(sc, NO_SOLVER, undefined).decide(9_000, load);
    expect(none.status).toBe("kept:no-forecast");
  });

  it("floors λ̂ at the peak per-second arrivals of the floor window before the decision (closed seconds only), and records it", async () => {
    const at = (observedFloorMs: number) =>
      scenarioOf({ m: FIT }, {
        policy: { name: "static", config: {} },
        control: { intervalMs: 25_000, firstDecisionMs: 25_000, loadWindowMs: 10_000, forecast: { predictor: compilePredictorConfig({ serve: "last-value" }), value: "point", marginFraction: 0.1, tickMs: 10_000, observedFloorMs } },
      });
    // The forecast (tick at 20 s, bin 0–9 s) is 5 × 1.1; a burst to 30 rps at 21–22 s, 40 rps in the open second 25.
    const load = Array.from({ length: 26 }, (_, s) => sample(s, s === 25 ? 40 : s >= 21 && s <= 22 ? 30 : s < 10 ? 5 : 2));
    const decide = async (floorMs: number) => {
      const loop = new ControlLoop(at(floorMs), NO_SOLVER, undefined);
      loop.setInitial(at(floorMs).initial as never);
      return loop.decide(25_000, load);
    };
    // Window 5 s: seconds 20–24 end within (20 s, 25 s]; second 25 is not closed at 25 s.
    const floored = await decide(5000);
    expect(floored.forecastRps).toBe(30);
    expect(floored.flooredAtRps).toBe(30);
    // Window 2 s: seconds 23–24 only (2 rps): the forecast stands.
    const short = await decide(2000);
    expect(short.forecastRps).toBeCloseTo(5.5, 12);
    expect(short.flooredAtRps).toBeUndefined();
    expect((await decide(0)).forecastRps).toBeCloseTo(5.5, 12);
  });

  it("gives the policy the tightest budgets of its window (the optimizer's rule): the smallest per-second p10 and median", () => {
    const sc = scenarioOf({ m: FIT }, {
      policy: { name: "static", config: {} },
      control: { intervalMs: 1000, firstDecisionMs: 1000, loadWindowMs: 3000, forecast: { predictor: compilePredictorConfig({ serve: "last-value" }), value: "point", marginFraction: 0, tickMs: 1000, observedFloorMs: 0 } },
    });
    const load = [sample(0, 1, 100, 100), sample(1, 1, 300, 800), sample(2, 1, 500, 600), sample(3, 0)];
    const loop = new ControlLoop(sc, NO_SOLVER, undefined);
    // Window 3 s back from 4 s: seconds 1..3 (second 0 is older).
    expect(loop.policyInput(7, 4000, load).budgets).toEqual({ quantilesMs: [{ q: 0.1, valueMs: 300 }, { q: 0.5, valueMs: 600 }] });
    expect(loop.policyInput(7, 4000, load).forecastRps).toBe(7);
    expect(loop.policyInput(1, 1000, [sample(0, 3)]).budgets).toBeUndefined();
  });
});

function sample(s: number, rps: number, budgetP10Ms?: number, budgetP50Ms?: number): LoadSample {
  return { pipeline: "p", timestampMs: s * 1000, arrivalsRps: rps, windowMs: 1000, ...(budgetP10Ms !== undefined ? { budgetP10Ms, budgetP50Ms: budgetP50Ms! } : {}) };
}
