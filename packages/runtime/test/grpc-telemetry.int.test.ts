import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { credentials, makeGenericClientConstructor, status, type ServiceDefinition, type ServiceError } from "@grpc/grpc-js";
import { InvalidArgumentError } from "@fulcrum/core";
import { health } from "@fulcrum/proto";
import { describe, expect, it } from "vitest";
import { ServingStatus, startGrpcServer, startOtlpReceiver, toServiceError } from "../src/index.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));

describe("gRPC server helpers", () => {
  it("serve the standard health service and map typed errors to statuses", async () => {
    const server = await startGrpcServer({ port: 0, services: [] });
    const Client = makeGenericClientConstructor(health.HealthService as unknown as ServiceDefinition, "Health");
    const client = new Client(server.address, credentials.createInsecure()) as unknown as {
      check(req: health.HealthCheckRequest, cb: (err: ServiceError | null, res?: health.HealthCheckResponse) => void): void;
      close(): void;
    };
    const check = (service: string) =>
      new Promise<health.HealthCheckResponse>((resolve, reject) => client.check({ service }, (e, r) => (e ? reject(e) : resolve(r!))));
    expect((await check("")).status).toBe(ServingStatus.NOT_SERVING);
    server.health.set("", ServingStatus.SERVING);
    expect((await check("")).status).toBe(ServingStatus.SERVING);
    expect((await check("nope")).status).toBe(ServingStatus.SERVICE_UNKNOWN);
    client.close();
    await server.shutdown(1000);
    await server.shutdown(1000);

    const invalid = toServiceError(new InvalidArgumentError("inputs[0].datatype", "expected FP32, got INT8"));
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(invalid.details).toBe("inputs[0].datatype: expected FP32, got INT8");
    const internal = toServiceError(new Error("secret stack detail"));
    expect(internal.code).toBe(status.INTERNAL);
    expect(internal.details).toBe("internal error");
  });

  it("produce client and server spans under ESM with the register preload, exported over OTLP", async () => {
    const receiver = await startOtlpReceiver({ port: 0 });
    try {
      const { stdout } = await run(
        process.execPath,
        ["--import", "tsx", "--conditions=@fulcrum/source", "--import", "@fulcrum/runtime/register", "packages/runtime/test/fixtures/grpc-traced-child.ts"],
        {
          cwd: repo,
          env: { ...process.env, OTEL_SERVICE_NAME: "grpc-fixture", OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`, OTEL_TRACES_EXPORTER: "otlp" },
          timeout: 30_000,
        },
      );
      expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual({ status: ServingStatus.SERVING });
      const spans = receiver.spans().filter((s) => s.name.includes("grpc.health.v1.Health/Check"));
      const server = spans.find((s) => s.kind === 2);
      const client = spans.find((s) => s.kind === 3);
      expect(server?.service).toBe("grpc-fixture");
      expect(client).toBeDefined();
      expect(server?.traceId).toBe(client?.traceId);
      expect(server?.parentSpanId).toBe(client?.spanId);
    } finally {
      await receiver.close();
    }
  });
});
