import { describe, expect, it } from "vitest";
import { createPortAllocator, freePort } from "./free-port.js";

describe("createPortAllocator", () => {
  it("skips a port the OS returns a second time (the CI collision: optimizer and predictor on one port)", async () => {
    const ports = [34561, 34561, 40001];
    const alloc = createPortAllocator(async () => ports.shift()!);
    expect(await alloc()).toBe(34561);
    expect(await alloc()).toBe(40001);
  });

  it("fails with a message naming the cause when the OS keeps returning used ports", async () => {
    const alloc = createPortAllocator(async () => 5000);
    await alloc();
    await expect(alloc()).rejects.toThrow(/no new free port.*already handed out/);
  });

  it("hands out 50 distinct ports in range from the real OS", async () => {
    const got = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(got).size).toBe(50);
    expect(got.every((p) => p > 0 && p < 65536)).toBe(true);
  });
});
