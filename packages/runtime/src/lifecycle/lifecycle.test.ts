import { describe, expect, it } from "vitest";
import { createLifecycle } from "./lifecycle.js";

describe("createLifecycle", () => {
  it("runs steps once, in order, through a failing and a hung step", async () => {
    const lc = createLifecycle({ stepTimeoutMs: 50 });
    const order: string[] = [];
    lc.onShutdown("intake", () => void order.push("intake"));
    lc.onShutdown("broken", () => {
      order.push("broken");
      throw new Error("boom");
    });
    lc.onShutdown("hung", () => new Promise<void>(() => order.push("hung")));
    lc.onShutdown("flush", async () => void order.push("flush"));
    lc.ready();
    expect(lc.state).toBe("ready");
    const a = lc.shutdown("test");
    const b = lc.shutdown("again");
    expect(lc.state).toBe("draining");
    expect(a).toBe(b);
    await a;
    expect(order).toEqual(["intake", "broken", "hung", "flush"]);
    expect(lc.state).toBe("stopped");
  });
});
