import { afterEach, describe, expect, it, vi } from "vitest";
import { BurstLog } from "./burst-log.js";

describe("BurstLog", () => {
  afterEach(() => void vi.useRealTimers());

  it("writes the first event at once and the rest of a burst as one counted line per interval", () => {
    vi.useFakeTimers({ now: 10_000 });
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const log = new BurstLog({ write: (fields, message) => void lines.push({ fields, message }), message: "closed early", intervalMs: 1000, clock: () => Date.now() });
    log.note("cancelled", { peer: "a" });
    expect(lines).toEqual([{ fields: { count: 1, byKind: { cancelled: 1 }, sinceMs: 0, example: { peer: "a" } }, message: "closed early" }]);
    for (let i = 0; i < 500; i++) log.note(i % 5 === 0 ? "deadline" : "cancelled", { peer: `p${i}` });
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toEqual({ count: 500, byKind: { cancelled: 400, deadline: 100 }, sinceMs: 1000, example: { peer: "p499" } });
    // A quiet interval writes nothing.
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
    log.note("cancelled", {});
    log.flush();
    log.flush();
    expect(lines).toHaveLength(3);
  });
});
