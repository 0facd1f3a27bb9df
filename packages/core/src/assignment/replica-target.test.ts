import { describe, expect, it } from "vitest";
import { targetForReplica } from "./replica-target.js";

const v = (variant: string, weight: number, replicas: number, batch = 4, coresPerReplica = 1) => ({ variant, weight, replicas, batch, coresPerReplica });

describe("targetForReplica", () => {
  it("gives variants consecutive replica ranges in listed order", () => {
    const stage = [v("a", 0.6, 2, 8, 2), v("b", 0.4, 1, 2, 1)];
    expect(targetForReplica(stage, 0)).toEqual({ variant: "a", cores: 2, batchSize: 8, surplus: false });
    expect(targetForReplica(stage, 1)).toMatchObject({ variant: "a", surplus: false });
    expect(targetForReplica(stage, 2)).toEqual({ variant: "b", cores: 1, batchSize: 2, surplus: false });
  });

  it("skips variants without traffic and keeps a surplus replica on the largest share", () => {
    const stage = [v("idle", 0, 1), v("a", 0.3, 1), v("b", 0.7, 1)];
    expect(targetForReplica(stage, 0)).toMatchObject({ variant: "a" });
    expect(targetForReplica(stage, 5)).toMatchObject({ variant: "b", surplus: true });
  });
});
