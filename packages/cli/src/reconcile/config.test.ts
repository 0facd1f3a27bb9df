import { describe, expect, it } from "vitest";
import { loadReconcilerConfig } from "./config.js";

describe("fulcrum reconcile configuration", () => {
  it("reads FULCRUM_RECONCILER_* with defaults (bootstrap targets default to 1 core, batch 8)", () => {
    const c = loadReconcilerConfig({
      FULCRUM_RECONCILER_PIPELINE: "fashion",
      FULCRUM_RECONCILER_CORE_BUDGET: "16",
      FULCRUM_RECONCILER_BOOTSTRAP: '{"classifier":[{"variant":"mlp"}]}',
      FULCRUM_RECONCILER_RUN_ID: "abc1",
      NATS_URL: "nats://nats:4222",
    });
    expect(c).toMatchObject({ pipeline: "fashion", namespace: "fulcrum", coreBudget: 16, runId: "abc1", natsUrl: "nats://nats:4222", metricsPort: 9469, startTimeoutMs: 180_000, maxConcurrentStarts: 64, maxActionsPerPass: 128 });
    expect(c.bootstrap).toEqual({ classifier: [{ variant: "mlp", cores: 1, batchSize: 8 }] });
    expect(loadReconcilerConfig({ FULCRUM_RECONCILER_PIPELINE: "p", FULCRUM_RECONCILER_CORE_BUDGET: "2", FULCRUM_RECONCILER_BOOTSTRAP: '{"s":[{"variant":"v"}]}' }).runId).toMatch(/^[a-z0-9]+$/);
    const limited = loadReconcilerConfig({ FULCRUM_RECONCILER_PIPELINE: "p", FULCRUM_RECONCILER_CORE_BUDGET: "2", FULCRUM_RECONCILER_BOOTSTRAP: '{"s":[{"variant":"v"}]}', FULCRUM_RECONCILER_MAX_CONCURRENT_STARTS: "4", FULCRUM_RECONCILER_MAX_ACTIONS_PER_PASS: "9" });
    expect(limited).toMatchObject({ maxConcurrentStarts: 4, maxActionsPerPass: 9 });
  });

  it("reads the NATS user, password and TLS files like the services (NATS_*, the prefixed form winning)", () => {
    const base = { FULCRUM_RECONCILER_PIPELINE: "p", FULCRUM_RECONCILER_CORE_BUDGET: "2", FULCRUM_RECONCILER_BOOTSTRAP: '{"s":[{"variant":"v"}]}' };
    const c = loadReconcilerConfig({
      ...base,
      NATS_URL: "tls://nats:4222",
      NATS_USER: "launcher",
      NATS_PASSWORD: "from-env",
      FULCRUM_RECONCILER_NATS_PASSWORD: "prefixed",
      NATS_TLS_CA_FILE: "/tls/ca.pem",
      NATS_TLS_CERT_FILE: "/tls/cert.pem",
      NATS_TLS_KEY_FILE: "/tls/key.pem",
    });
    expect(c).toMatchObject({ natsUrl: "tls://nats:4222", natsUser: "launcher", natsPassword: "prefixed", natsTlsCaFile: "/tls/ca.pem", natsTlsCertFile: "/tls/cert.pem", natsTlsKeyFile: "/tls/key.pem" });
    expect(() => loadReconcilerConfig({ ...base, NATS_USER: "launcher" })).toThrow(/natsPassword/);
    expect(() => loadReconcilerConfig({ ...base, NATS_TLS_CERT_FILE: "/tls/cert.pem" })).toThrow(/natsTlsKeyFile/);
  });

  it("fails fast naming every bad, missing or unknown key", () => {
    let message = "";
    try {
      loadReconcilerConfig({ FULCRUM_RECONCILER_CORE_BUDGET: "0", FULCRUM_RECONCILER_BOOTSTRAP: '{"classifier":[]}', FULCRUM_RECONCILER_RUN_ID: "Not-OK", FULCRUM_RECONCILER_REPLICAS: "2", FULCRUM_RECONCILER_MAX_CONCURRENT_STARTS: "0" });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of ["pipeline", "coreBudget", "bootstrap", "runId", "maxConcurrentStarts", "FULCRUM_RECONCILER_REPLICAS"]) expect(message).toContain(key);
  });
});
