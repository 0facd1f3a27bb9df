import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { control } from "@fulcrum/proto";
import { afterAll, describe, expect, it } from "vitest";
import { connectBus, freePort, startNatsServer, type Bus, type NatsServerHandle } from "../src/index.js";

const entry = (instance: string, heartbeatUnixMs: number): control.RegistryEntry => ({
  pipeline: "p",
  stage: "s",
  instance,
  address: "127.0.0.1:1",
  variant: "v",
  cores: 1,
  batch: 1,
  assignmentVersion: 1,
  heartbeatUnixMs,
  startedUnixMs: 1,
  readyUnixMs: 0,
  state: "ready",
  variants: ["v"],
});

/**
 * A KV watch outlives a nats-server restart with the same store (the gateway's registry view and
 * every assignment follower rely on it): after the reconnect, updates arrive within a few seconds,
 * and an updates-only watch delivers nothing it already delivered.
 */
describe("KV watch across a nats-server restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-kv-restart-"));
  let nats: NatsServerHandle | undefined;
  let bus: Bus | undefined;
  let writer: Bus | undefined;
  afterAll(async () => {
    await bus?.drain();
    await writer?.drain();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stays current: updates written after an 8 s outage arrive within 4 s; an updates-only watch resumes where it was", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const storeDir = join(dir, "js");
    nats = await startNatsServer({ port, storeDir });
    bus = await connectBus({ servers: nats.url, name: "kv-watch-restart", reconnectTimeWaitMs: 200 });
    const kv = await bus.kv("fulcrum_test_restart");
    const seen: Array<{ key: string; hb: number }> = [];
    const seenUpdates: number[] = [];
    const w = await kv.watch("r.>", control.RegistryEntry, (v, key) => void (v && seen.push({ key, hb: Number(v.heartbeatUnixMs) })));
    const u = await kv.watch("u.>", control.RegistryEntry, (v) => void (v && seenUpdates.push(Number(v.heartbeatUnixMs))), { updatesOnly: true });
    await kv.put("r.a", control.RegistryEntry, entry("a", 1));
    await kv.put("u.a", control.RegistryEntry, entry("a", 1));
    await expect.poll(() => seen.length && seenUpdates.length).toBe(1);

    process.kill(nats.pid!, "SIGKILL");
    await nats.stop();
    // Longer than an ephemeral consumer's inactivity threshold (5 s): a short blip would hide it.
    await new Promise((r) => setTimeout(r, 8_000));
    nats = await startNatsServer({ port, storeDir });
    await expect.poll(() => bus!.connected, { timeout: 10_000 }).toBe(true);
    // A second client writes what the watcher must see: the same key updated, and an update the
    // updates-only watch would otherwise have missed.
    writer = await connectBus({ servers: nats.url, name: "kv-watch-restart-writer" });
    const wkv = await writer.kv("fulcrum_test_restart");
    const writtenAt = Date.now();
    await wkv.put("u.a", control.RegistryEntry, entry("a", 2));
    await wkv.put("r.a", control.RegistryEntry, entry("a", 2));
    await expect.poll(() => seen.some((s) => s.hb === 2), { timeout: 4_000, interval: 50 }).toBe(true);
    await expect.poll(() => seenUpdates.includes(2), { timeout: 4_000, interval: 50 }).toBe(true);
    expect(Date.now() - writtenAt).toBeLessThan(4_000);
    // Nothing older than what was seen is delivered as new to the updates-only watch.
    expect(seenUpdates).toEqual([1, 2]);
    await w.stop();
    await u.stop();
    await u.stop(); // idempotent
  });
});
