/**
 * NATS over TLS with the NATS_TLS_* keys: a self-signed CA and server certificate made here with
 * Debian's openssl (loopback only); a client trusting the CA connects, one that does not is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { control, subjects } from "@fulcrum/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BusConnectError, connectBus, makeTestCertificates, natsConfigShape, natsConnectOptions, startNatsServer, type NatsServerHandle } from "../src/index.js";
import { z } from "zod";

describe("NATS over TLS (natsTlsCaFile)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-tls-"));
  const f = (name: string): string => join(dir, name);
  let nats: NatsServerHandle;
  beforeAll(async () => {
    const certs = makeTestCertificates(dir);
    writeFileSync(f("nats.conf"), `tls { cert_file: "${certs.certFile}", key_file: "${certs.keyFile}" }\n`);
    nats = await startNatsServer({ configFile: f("nats.conf") });
  }, 60_000);
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects with the CA from the configuration and carries messages; without it the connection is refused", async () => {
    const cfg = z.object(natsConfigShape).parse({ natsUrl: `tls://127.0.0.1:${nats.port}`, natsTlsCaFile: join(dir, "fulcrum-test-ca.pem") });
    const bus = await connectBus({ ...natsConnectOptions(cfg), name: "tls-test" });
    try {
      const got: number[] = [];
      const sub = bus.subscribe(subjects.load("tls"), control.LoadSample, (m) => void got.push(m.arrivalsRps));
      await bus.flush();
      bus.publish(subjects.load("tls"), control.LoadSample, control.LoadSample.fromPartial({ pipeline: "tls", arrivalsRps: 7, windowMs: 1000 }));
      await expect.poll(() => got).toEqual([7]);
      await sub.stop();
    } finally {
      await bus.drain();
    }
    await expect(connectBus({ servers: `tls://127.0.0.1:${nats.port}`, name: "untrusting", connectTimeoutMs: 3000, reconnectTimeWaitMs: 100 })).rejects.toBeInstanceOf(BusConnectError);
  });
});
