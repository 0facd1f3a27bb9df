/**
 * Test harness: gives KV `fulcrum_registry` the contract's max-age (stage contract v1: 10 s) on the
 * shared test NATS server, creating the bucket or updating the one an earlier test file created
 * without it, as a deployment provisions it.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";

export const REGISTRY_TTL_MS = 10_000;

export async function provisionRegistryBucket(natsUrl: string, ttlMs = REGISTRY_TTL_MS): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = "KV_fulcrum_registry";
    const exists = await jsm.streams.info(stream).then(
      () => true,
      () => false,
    );
    // JetStream requires the duplicates window to fit within the max age.
    if (exists) await jsm.streams.update(stream, { max_age: ttlMs * 1e6, duplicate_window: ttlMs * 1e6 });
    else await new Kvm(nc).create("fulcrum_registry", { history: 1, ttl: ttlMs });
  } finally {
    await nc.close();
  }
}
