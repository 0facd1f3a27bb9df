import { Router } from "@fulcrum/core/routing";
import { describe, expect, it } from "vitest";
import { gatewayPipelineSchema } from "../config.js";
import { PipelineAdmission } from "./admission.js";

const pipeline = gatewayPipelineSchema.parse({ name: "p", sloMs: 100, stages: [{ name: "det" }, { name: "cls" }] });

function routerWith(replicas: Array<[stage: string, instance: string, state?: "ready" | "draining"]>): Router {
  const router = new Router({ staleMs: 1e9, ejectMs: 1e9 });
  for (const [stage, instance, state] of replicas) router.upsertReplica("p", { instance, stage, address: `${instance}:1`, variant: "v", state: state ?? "ready", heartbeatMs: 0 });
  return router;
}

describe("PipelineAdmission", () => {
  it("derives the in-flight limit from the live replicas of the narrowest stage, unless one is configured", () => {
    const router = routerWith([["det", "d0"], ["det", "d1"], ["det", "d2"], ["cls", "c0"], ["cls", "c1"], ["cls", "c2", "draining"]]);
    const derived = new PipelineAdmission({ router, maxInFlight: 0, maxInFlightPerReplica: 10, budgetShare: 0.8, windowMs: 1000 });
    expect(derived.limit(pipeline, 0)).toBe(20);
    router.eject("c1", 0);
    expect(derived.limit(pipeline, 0)).toBe(10);
    // No live replica at all still admits one replica's worth (the request then gets UNAVAILABLE with its reason).
    router.eject("c0", 0);
    expect(derived.limit(pipeline, 0)).toBe(10);
    expect(new PipelineAdmission({ router, maxInFlight: 7, maxInFlightPerReplica: 10, budgetShare: 0.8, windowMs: 1000 }).limit(pipeline, 0)).toBe(7);
  });

  it("refuses what would finish after its deadline, naming the queue ahead and the budget", () => {
    const admission = new PipelineAdmission({ router: routerWith([["det", "d0"], ["cls", "c0"]]), maxInFlight: 0, maxInFlightPerReplica: 100, budgetShare: 0.8, windowMs: 1000 });
    // Ten requests always in flight, one served every 5 ms for two seconds: 5 ms per request.
    const tickets = Array.from({ length: 10 }, () => admission.admit(pipeline, 0, 1e9));
    for (let t = 5; t <= 2000; t += 5) {
      tickets.shift()!.end(t, true);
      tickets.push(admission.admit(pipeline, t, 1e9));
    }
    expect(admission.inFlight("p")).toBe(10);
    expect(admission.expectedLatencyMs("p")).toBeCloseTo(55, 0);
    expect(() => admission.admit(pipeline, 2000, 2060)).toThrow(/^pipeline "p": 10 requests in flight ahead of this one: expected to finish in 55 ms, its budget is 60 ms \(retry later or allow more time\)$/);
    expect(admission.inFlight("p")).toBe(10);
    admission.admit(pipeline, 2000, 2070).end(2001, true);
    // A ticket ends once.
    const t = tickets[0]!;
    t.end(2002, true);
    t.end(2003, true);
    expect(admission.inFlight("p")).toBe(9);
  });
});
