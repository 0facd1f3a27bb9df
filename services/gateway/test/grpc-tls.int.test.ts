/**
 * The data plane over TLS (GRPC_TLS_* keys): a client trusting the CA is answered by the gateway,
 * which reaches the stage over TLS too; a plaintext client, or one trusting another CA, is refused;
 * a bad TLS configuration is refused naming the key.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { control, KV_BUCKETS, kvKeys, subjects } from "@fulcrum/proto";
import { connectBus, ConfigError, createLogger, fp32Request, grpcChannelCredentials, makeTestCertificates, OipClient, testNatsUrl, TlsFileError, type Bus, type TestCertificates } from "@fulcrum/runtime";
import { stageConfigSchema, startStage, type StageHandle } from "@fulcrum/stage";
import { resolveModelDir } from "@fulcrum/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfigSchema, loadGatewayConfig, startGateway, type GatewayHandle } from "../src/index.js";

const logger = createLogger({ service: "grpc-tls-test", level: "silent" });
const modelDir = resolveModelDir(process.env, process.cwd());

describe("gRPC over TLS: client → gateway → stage", () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-grpc-tls-"));
  const pipeline = `tls-${process.pid}`;
  let certs: TestCertificates;
  let bus: Bus;
  let stage: StageHandle | undefined;
  let gateway: GatewayHandle | undefined;
  const clients: OipClient[] = [];
  const client = (address: string, caFile?: string): OipClient => {
    const c = new OipClient(address, { callTimeoutMs: 5000, ...(caFile ? { credentials: grpcChannelCredentials({ grpcTlsCaFile: caFile }) } : {}) });
    clients.push(c);
    return c;
  };
  const request = (): ReturnType<typeof fp32Request> => fp32Request(pipeline, "input", [1, 28, 28]);

  beforeAll(async () => {
    certs = makeTestCertificates(dir);
    bus = await connectBus({ servers: testNatsUrl(), name: "grpc-tls-test" });
    const tls = { grpcTlsCertFile: certs.certFile, grpcTlsKeyFile: certs.keyFile };
    stage = await startStage(Object.freeze(stageConfigSchema.parse({ pipeline, stage: "classifier", family: "fashion", variant: "linear", modelDir, heartbeatMs: 200, instance: "r0", replicaIndex: 0, ...tls })), { logger, bus });
    gateway = await startGateway(
      Object.freeze(gatewayConfigSchema.parse({ pipelines: [{ name: pipeline, sloMs: 5000, stages: [{ name: "classifier" }] }], grpcPort: 0, httpPort: 0, metricsPort: 0, staleMs: 2000, ...tls, grpcTlsCaFile: certs.caFile })),
      { logger, bus },
    );
    const assignment: control.Assignment = { pipeline, version: 1, policy: "test", createdUnixMs: Date.now(), reason: "test", stages: [{ stage: "classifier", variants: [{ variant: "linear", weight: 1, batch: 4, coresPerReplica: 1, replicas: 1 }] }] };
    await (await bus.kv(KV_BUCKETS.assignments)).put(kvKeys.assignment(pipeline), control.Assignment, assignment);
    bus.publish(subjects.assignment(pipeline), control.Assignment, assignment);
    const end = Date.now() + 20_000;
    while (!gateway.router.replicasOf(pipeline, "classifier").some((r) => r.state === "ready")) {
      if (Date.now() > end) throw new Error("the stage never appeared in the gateway's registry view");
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.shutdown();
    await stage?.shutdown();
    await bus?.drain();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a client trusting the CA, end to end over TLS", async () => {
    const out = await client(gateway!.grpcAddress, certs.caFile).infer(request());
    expect(out.details).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(out.response?.outputs.length).toBeGreaterThan(0);
    // The stage itself serves TLS only: the gateway's answer went over its TLS channel.
    expect((await client(stage!.grpcAddress, certs.caFile).infer({ ...request(), modelName: "classifier" })).ok).toBe(true);
    expect((await client(stage!.grpcAddress).infer({ ...request(), modelName: "classifier" })).code).toBe(status.UNAVAILABLE);
  });

  it("refuses a plaintext client and a client trusting another CA", async () => {
    expect((await client(gateway!.grpcAddress).infer(request())).code).toBe(status.UNAVAILABLE);
    expect((await client(gateway!.grpcAddress, certs.otherCaFile).infer(request())).code).toBe(status.UNAVAILABLE);
  });

  it("refuses a certificate without its key, and a file it cannot read, naming the key", async () => {
    expect(() => loadGatewayConfig({ FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name: "p", sloMs: 100, stages: [{ name: "s" }] }]), GRPC_TLS_CERT_FILE: certs.certFile })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ FULCRUM_GATEWAY_PIPELINES: JSON.stringify([{ name: "p", sloMs: 100, stages: [{ name: "s" }] }]), GRPC_TLS_CERT_FILE: certs.certFile })).toThrow(/grpcTlsKeyFile/);
    expect(() => grpcChannelCredentials({ grpcTlsCaFile: join(dir, "missing.pem") })).toThrow(TlsFileError);
    expect(() => grpcChannelCredentials({ grpcTlsCaFile: join(dir, "missing.pem") })).toThrow(/grpcTlsCaFile: cannot read ".*missing\.pem"/);
  });
});
