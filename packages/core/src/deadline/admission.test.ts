import { describe, expect, it } from "vitest";
import { AdmissionGate } from "./admission.js";

/**
 * Drives `gate` like a saturated server: `concurrency` requests always in flight, one finishing
 * every `serviceMs` (and replaced at once), for `durationMs`. Returns the time reached.
 */
function saturate(gate: AdmissionGate, startMs: number, concurrency: number, serviceMs: number, durationMs: number): number {
  let t = startMs;
  while (gate.inFlight < concurrency) gate.admit(t);
  for (; t < startMs + durationMs; ) {
    t += serviceMs;
    gate.finish(t, true);
    gate.admit(t);
  }
  return t;
}

describe("AdmissionGate", () => {
  it("admits up to the in-flight limit while it knows nothing of the pipeline's speed", () => {
    const gate = new AdmissionGate();
    for (let i = 0; i < 3; i++) {
      expect(gate.decide(0, 10, 3)).toEqual({ admit: true, inFlight: i, expectedMs: undefined });
      gate.admit(0);
    }
    expect(gate.decide(0, 10, 3)).toEqual({ admit: false, reason: "in-flight-limit", inFlight: 3, limit: 3 });
    gate.finish(1, false);
    expect(gate.decide(1, 10, 3).admit).toBe(true);
  });

  it("learns the service time per request while busy and refuses what would finish after its deadline", () => {
    const gate = new AdmissionGate({ windowMs: 1000, budgetShare: 0.8 });
    const t = saturate(gate, 0, 10, 2, 3000);
    // (Exponential weighting at discrete results underestimates by Δ/2τ = 0.1 %.)
    expect(gate.msPerRequest()).toBeCloseTo(2, 2);
    // 10 in flight at 2 ms each: a new request expects (10 + 1) × 2 = 22 ms.
    expect(gate.expectedLatencyMs()).toBeCloseTo(22, 1);
    expect(gate.decide(t, t + 100, 1000)).toMatchObject({ admit: true, inFlight: 10 });
    // 22 ms > 0.8 × 25 ms of budget: refused at once.
    const refused = gate.decide(t, t + 25, 1000);
    expect(refused).toMatchObject({ admit: false, reason: "deadline-unreachable", inFlight: 10, budgetMs: 25 });
    expect(refused.admit === false && refused.reason === "deadline-unreachable" && refused.expectedMs).toBeCloseTo(22, 1);
    // 22 ms ≤ 0.8 × 27.5 ms: admitted.
    expect(gate.decide(t, t + 27.5, 1000).admit).toBe(true);
  });

  it("follows a pipeline that slows down within a few windows", () => {
    const gate = new AdmissionGate({ windowMs: 500 });
    const t = saturate(gate, 0, 4, 1, 2000);
    expect(gate.msPerRequest()).toBeCloseTo(1, 2);
    saturate(gate, t, 4, 5, 2500);
    expect(gate.msPerRequest()!).toBeGreaterThan(4.8);
    expect(gate.msPerRequest()!).toBeLessThanOrEqual(5 + 1e-9);
  });

  it("counts only results as service: fast errors make the pipeline look slower, never faster", () => {
    const gate = new AdmissionGate();
    let t = 0;
    for (let i = 0; i < 100; i++) {
      gate.admit(t);
      t += 1;
      gate.finish(t, i % 2 === 0);
    }
    // One request at a time, 1 ms each, half of them errors: 2 ms of busy time per result.
    expect(gate.msPerRequest()).toBeCloseTo(2, 1);
  });

  it("always admits when nothing is in flight, however slow the last spell was", () => {
    const gate = new AdmissionGate();
    saturate(gate, 0, 5, 100, 5000);
    for (let i = 0; i < 5; i++) gate.finish(6000, false);
    expect(gate.inFlight).toBe(0);
    expect(gate.expectedLatencyMs()!).toBeGreaterThan(50);
    expect(gate.decide(6000, 6001, 100)).toMatchObject({ admit: true, inFlight: 0 });
  });

  it("does not count idle time as service time", () => {
    const gate = new AdmissionGate({ windowMs: 10_000 });
    let t = 0;
    for (let i = 0; i < 50; i++) {
      gate.admit(t);
      gate.finish(t + 3, true);
      t += 100; // 97 ms idle between requests
    }
    expect(gate.msPerRequest()).toBeCloseTo(3, 1);
  });

  it("keeps what it learned through a lull: the first burst after it is gated, not admitted blindly", () => {
    const gate = new AdmissionGate({ windowMs: 1000, budgetShare: 0.6 });
    let t = saturate(gate, 0, 8, 20, 5000);
    while (gate.inFlight > 0) gate.finish((t += 20), true);
    const learned = gate.msPerRequest()!;
    expect(learned).toBeCloseTo(20, 0);
    // Ten idle seconds, then a burst of requests with 300 ms budgets: 20 ms each, so about
    // 0.6 × 300 / 20 = 9 fit; the rest are refused at once.
    t += 10_000;
    expect(gate.msPerRequest()).toBe(learned);
    let admitted = 0;
    for (let i = 0; i < 64; i++) {
      if (gate.decide(t, t + 300, 64).admit) {
        gate.admit(t);
        admitted += 1;
      }
    }
    expect(admitted).toBe(9);
  });
});
